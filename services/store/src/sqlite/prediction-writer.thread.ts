/** The prediction writer thread (prediction-writer.ts): one connection, one batch at a time. */
import { parentPort, workerData } from "node:worker_threads";
import { ContractValidationError } from "@mlops/contracts";
import { StoreError } from "../errors.js";
import type { WriteReply, WriteRequest, WriterThreadData } from "./prediction-writer.js";
import { openSqliteStore } from "./sqlite-store.js";

const { path, busyTimeoutMs } = workerData as WriterThreadData;
const store = openSqliteStore(path, { busyTimeoutMs });
const port = parentPort!;

port.on("message", async ({ id, records }: WriteRequest) => {
  let reply: WriteReply;
  try {
    reply = { id, result: await store.predictions.insertMany(records) };
  } catch (error) {
    if (error instanceof ContractValidationError) {
      port.postMessage({ id, invalid: { subject: error.subject, issues: [...error.issues] } });
      return;
    }
    // The owner re-raises this as a StoreUnavailableError, which names the store again.
    const message =
      error instanceof StoreError
        ? error.message.slice(error.store.length + 2)
        : error instanceof Error
          ? error.message
          : String(error);
    reply = { id, error: message };
  }
  port.postMessage(reply);
});
