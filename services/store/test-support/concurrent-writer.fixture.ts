/**
 * A second process for the multi-process test: registers `count` versions of `model` and writes
 * `count` batches of prediction logs to the SQLite store at `path` while the test process does
 * the same.
 */

import { openSqliteStore } from "../src/sqlite/sqlite-store.js";
import { generatePredictionLogs } from "./prediction-logs.js";

const [path, model, count] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore(path);
// The parent starts its own writes when it reads this, so the two processes overlap.
process.stdout.write("ready\n");
for (let i = 0; i < Number(count); i++) {
  await store.models.register({
    name: model,
    kind: "garch",
    run_id: null,
    data_hash: null,
    git_sha: null,
    params: { writer: "child" },
    metrics: {},
    artifact: { uri: "file:garch.json", sha256: "d".repeat(64) },
  });
  const { predictions } = generatePredictionLogs({
    seed: i,
    count: 50,
    first: i * 50,
    prefix: "child",
  });
  await store.predictions.insertMany(predictions);
}
await store.close();
