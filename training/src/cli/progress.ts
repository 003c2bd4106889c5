/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, and elsewhere (CI
 * logs, Azure ML job logs) a plain line now and then, so a long run shows it is alive without
 * filling the log. `--json` turns it off, as it turns the bars off.
 */
import { SingleBar } from "cli-progress";
import type { CliIo } from "./context.js";

/** Least time between two plain progress lines. */
export const PROGRESS_LINE_MS = 5000;

/** Where a command reports how far it is. */
export interface Progress {
  /** `done` of `total` units are finished. */
  update(done: number, total: number): void;
  /** The command has ended (its bar stops redrawing). */
  stop(): void;
}

/** What a command's progress says. */
export interface ProgressFormat {
  /** The bar's cli-progress format, e.g. `fitting {bar} {value}/{total} candidate models`. */
  readonly bar: string;
  /** The plain line for `done` of `total`, without a newline. */
  readonly line: (done: number, total: number) => string;
}

/**
 * A bar when `io.isTTY`, else a line on `io.stderr` at most every {@link PROGRESS_LINE_MS}
 * (`now` is the clock); nothing with `json`.
 */
export function commandProgress(
  io: CliIo,
  json: boolean | undefined,
  format: ProgressFormat,
  now: () => number = Date.now,
): Progress {
  if (json) return { update: () => {}, stop: () => {} };
  if (io.isTTY) {
    const bar = new SingleBar({ format: format.bar });
    return {
      update: (done, total) => {
        if (!bar.isActive) bar.start(total, 0);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let last = now();
  return {
    update: (done, total) => {
      const at = now();
      if (at - last < PROGRESS_LINE_MS) return;
      last = at;
      io.stderr(`${format.line(done, total)}\n`);
    },
    stop: () => {},
  };
}
