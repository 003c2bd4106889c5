/**
 * The one context every command group of the `mlops` program works with: where it prints, the
 * environment it reads, whether a progress bar may draw, and the store the environment names
 * (opened per command and closed after it). Groups from other packages (`@mlops/release`) take
 * the subset of it they declare.
 */
import { type EnvRecord, parseStoreConfig } from "@mlops/contracts";
import { openStore, type Store } from "@mlops/store";

/** Where the CLI reads and writes, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: EnvRecord;
  /**
   * Whether stderr, where progress goes, is a terminal: bars redraw only then, and elsewhere
   * progress is plain lines (`commandProgress`).
   */
  readonly isTTY: boolean;
}

export interface CliContext {
  readonly io: CliIo;
  /** Opens the store the environment names (`MLOPS_STORE`, …), runs `run` with it, closes it. */
  readonly withStore: <T>(run: (store: Store) => Promise<T>) => Promise<T>;
  /** Prints `value` as one JSON line with `--json`, else the text for people. */
  readonly print: (json: boolean | undefined, value: unknown, text: () => string) => void;
}

export function createCliContext(io: CliIo): CliContext {
  return {
    io,
    withStore: async (run) => {
      const store = await openStore(parseStoreConfig(io.env));
      try {
        return await run(store);
      } finally {
        await store.close();
      }
    },
    print: (json, value, text) => io.stdout(json ? `${JSON.stringify(value)}\n` : text()),
  };
}
