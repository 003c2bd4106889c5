/** Catching the one error a test expects, to look at its fields. */

// biome-ignore lint/suspicious/noExplicitAny: any error class, whatever its constructor takes.
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/** The error of class `type` that `fn` throws; anything else thrown, or nothing, fails the test. */
export function thrownBy<E extends Error>(fn: () => unknown, type: ErrorClass<E>): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}
