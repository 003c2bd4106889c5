/**
 * A second process for the multi-process test: registers `count` versions of `model` in the
 * SQLite store at `path` while the test process does the same.
 */
import { openSqliteStore } from "./sqlite-store.js";

const [path, model, count] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore(path);
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
}
await store.close();
