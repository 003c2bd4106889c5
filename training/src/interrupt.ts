/**
 * Interruptible commands. A long command (training, a sweep) stops cleanly on the first SIGINT
 * or SIGTERM: the signal aborts the job's AbortSignal with `Interrupted`, the job stops at its
 * next turn (between batches of trees or boosting rounds), marks its runs KILLED and registers
 * nothing. A second signal ends the process at once, as if no handler were there.
 */
import { Interrupted, type InterruptSignal } from "./errors.js";

const SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM"];

/**
 * Runs `run` with a signal the first SIGINT or SIGTERM aborts (reason: `Interrupted`); rejects
 * with that reason once `run` settles, even where it finished.
 */
export async function interruptible<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = SIGNALS.map((name) => {
    const handler = () => {
      // The next one is the process's own default again: it ends the command at once.
      remove();
      controller.abort(new Interrupted(name));
    };
    return [name, handler] as const;
  });
  const remove = () => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  };
  for (const [name, handler] of handlers) process.once(name, handler);
  try {
    const result = await run(controller.signal);
    // A signal the job came too late to stop still ends the command, as the user asked.
    controller.signal.throwIfAborted();
    return result;
  } finally {
    remove();
  }
}
