/** Running the `mlops` program in-process in tests, against a SQLite store file. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterAll, beforeAll } from "vitest";
import type { CliIo } from "../src/cli/context.js";
import { main } from "../src/cli/main.js";

/** Runs `mlops argv` with the store at `dbPath` (and `env` on top), capturing its output. */
export async function runCli(dbPath: string, argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    // Artifacts beside the store unless a test says otherwise: never the checkout's .mlops/.
    env: {
      MLOPS_STORE: `sqlite:${dbPath}`,
      MLOPS_ARTIFACT_DIR: join(dirname(dbPath), "artifacts"),
      ...env,
    },
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

/** Writes the header and the first `rows` rows of the demo classification data to `dir/name`. */
export async function writeDemoCsv(dir: string, rows: number, name = "small.csv"): Promise<string> {
  const demo = await readFile(new URL("../data/demo-classification.csv", import.meta.url), "utf8");
  const file = join(dir, name);
  await writeFile(
    file,
    demo
      .split("\n")
      .slice(0, rows + 1)
      .join("\n"),
  );
  return file;
}

/** A temporary folder with a SQLite store and a demo CSV, for one test file's CLI runs. */
export interface CliFixture {
  /** The folder (set once `beforeAll` has run). */
  readonly root: string;
  /** The demo CSV in it. */
  readonly data: string;
  readonly dbPath: string;
  /** `mlops argv` against the fixture's store. */
  run(argv: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  /** `mlops train --json` on the fixture's data, 10 trees, artifacts in the folder. */
  train(...extra: string[]): ReturnType<typeof runCli>;
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that create a temporary folder with the first `rows`
 * rows of the demo data as `name`, and remove it afterwards.
 */
export function useCliFixture(prefix: string, rows: number, name = "small.csv"): CliFixture {
  let root = "";
  let data = "";
  const dbPath = () => join(root, "platform.db");
  const run = (argv: string[], env: Record<string, string> = {}) => runCli(dbPath(), argv, env);
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
    data = await writeDemoCsv(root, rows, name);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  return {
    get root() {
      return root;
    },
    get data() {
      return data;
    },
    get dbPath() {
      return dbPath();
    },
    run,
    train: (...extra) =>
      run([
        "train",
        "--data",
        data,
        "--label",
        "label",
        "--trees",
        "10",
        "--artifacts",
        join(root, "artifacts"),
        "--json",
        ...extra,
      ]),
    withStore: (fn) => withSqlite(dbPath(), fn),
  };
}
