/** Running the `mlops` program in-process in tests, against a SQLite store file. */
import { openSqliteStore, type Store } from "@mlops/store";
import { type CliIo, main } from "./main.js";

/** Runs `mlops argv` with the store at `dbPath` (and `env` on top), capturing its output. */
export async function runCli(dbPath: string, argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { MLOPS_STORE: `sqlite:${dbPath}`, ...env },
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Opens the store at `dbPath` for `fn` and closes it afterwards. */
export async function withSqlite<T>(dbPath: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore(dbPath);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
