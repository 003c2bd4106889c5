/**
 * A second process for the multi-process test: registers `count` versions of `model` and writes
 * `count` batches of prediction logs to the SQLite store at `path` while the test process does
 * the same.
 */

import { openSqliteStore } from "../src/sqlite/sqlite-store.js";
import { writeRounds } from "./write-rounds.js";

const [path, model, count] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore(path);
// The parent starts its own writes when it reads this, so the two processes overlap.
process.stdout.write("ready\n");
await writeRounds(store, model, Number(count), "child");
await store.close();
