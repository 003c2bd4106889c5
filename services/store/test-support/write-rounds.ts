/**
 * One writer's share of the multi-process test (the test process and
 * `concurrent-writer.fixture.ts` run it at once on one SQLite file).
 */
import type { Store } from "../src/store.js";
import { generatePredictionLogs } from "./prediction-logs.js";

/**
 * `rounds` times: registers the next version of the GARCH model `model`, then writes a batch of
 * 50 prediction logs whose request ids start with `writer`.
 */
export async function writeRounds(
  store: Store,
  model: string,
  rounds: number,
  writer: string,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await store.models.register({
      name: model,
      kind: "garch",
      run_id: null,
      data_hash: null,
      git_sha: null,
      params: { writer },
      metrics: {},
      artifact: { uri: "file:garch.json", sha256: "d".repeat(64) },
    });
    const { predictions } = generatePredictionLogs({
      seed: i,
      count: 50,
      first: i * 50,
      prefix: writer,
    });
    await store.predictions.insertMany(predictions);
  }
}
