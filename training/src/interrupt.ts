/**
 * Interruptible commands. A long command (training, a sweep) stops cleanly on the first SIGINT
 * or SIGTERM: the signal aborts the job's AbortSignal with `Interrupted`, the job stops at its
 * next turn (between batches of trees or boosting rounds), marks its runs KILLED and registers
 * nothing. A second signal ends the process at once, as if no handler were there, unless it comes
 * within `ECHO_MS` of the first: one Ctrl-C reaches every process of the terminal's foreground
 * group, and the launchers in between (pnpm, tsx) relay it to their child as well, so a command
 * run as `pnpm mlops train` gets the same keypress two or three times within milliseconds.
 */
import { Interrupted, type InterruptSignal } from "./errors.js";

const SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM"];

/**
 * How long after the first signal others count as its echoes (relayed copies of one keypress)
 * rather than a request to stop at once: far longer than a relay takes, shorter than a person
 * takes to press Ctrl-C again.
 */
export const ECHO_MS = 500;

/**
 * Runs `run` with a signal the first SIGINT or SIGTERM aborts (reason: `Interrupted`); rejects
 * with that reason once `run` settles, even where it finished.
 */
export async function interruptible<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = SIGNALS.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) return; // an echo of the first
      controller.abort(new Interrupted(name));
      // Past the echoes, the next one is the process's own default again: it ends the command.
      setTimeout(remove, ECHO_MS).unref();
    };
    return [name, handler] as const;
  });
  const remove = () => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  };
  for (const [name, handler] of handlers) process.on(name, handler);
  try {
    const result = await run(controller.signal);
    // A signal the job came too late to stop still ends the command, as the user asked.
    controller.signal.throwIfAborted();
    return result;
  } finally {
    // Once interrupted, the handlers stay for the echoes still on their way (the timer above).
    if (!controller.signal.aborted) remove();
  }
}
