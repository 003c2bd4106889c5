/**
 * The prediction log: every served prediction goes to the store through a bounded batching
 * writer, so a request never waits for the store. On close (SIGTERM → `app.close()`, after
 * in-flight requests finished) the writer flushes what is left within a deadline. The records
 * are built by the routes from a validated body, a checked request id and a loaded model, so the
 * store writes them without checking them again (`insertValidated`).
 */
import type { PredictionRecord, ServingConfig } from "@mlops/contracts";
import type { Store } from "@mlops/store";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { BatchingWriter } from "../batching-writer.js";

declare module "fastify" {
  interface FastifyInstance {
    predictionLog: BatchingWriter<PredictionRecord>;
  }
}

export interface PredictionLogOptions {
  readonly config: ServingConfig;
  readonly store: Store;
  /** Longest the final flush may take on close. */
  readonly closeDeadlineMs: number;
}

export default fp(
  async function predictionLog(app: FastifyInstance, opts: PredictionLogOptions) {
    const { queueSize, batchSize, flushIntervalMs } = opts.config.predictionLog;
    const writer = new BatchingWriter<PredictionRecord>(
      async (batch) => {
        await opts.store.predictions.insertValidated(batch);
      },
      {
        capacity: queueSize,
        batchSize,
        flushIntervalMs,
        retryBaseMs: 100,
        retryMaxMs: 10_000,
        onWriteError: (err, attempt) =>
          app.log.warn({ err, attempt }, "prediction log write failed; retrying"),
      },
    );
    app.decorate("predictionLog", writer);
    app.addHook("onClose", async () => {
      const left = await writer.close(opts.closeDeadlineMs);
      const { written, dropped } = writer.stats;
      if (left > 0) app.log.error({ left, written, dropped }, "prediction log not fully flushed");
      else app.log.info({ written, dropped }, "prediction log flushed");
    });
  },
  { name: "prediction-log" },
);
