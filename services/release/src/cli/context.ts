/**
 * What the `release` and `smoke` command groups need from the `mlops` program that mounts them:
 * where to print, the environment (PATH for the Pulumi CLI, the store's variables) and the store
 * the environment names. The program (`@mlops/training`'s CLI) passes its one command context,
 * which has this shape; stating the shape here, rather than importing the program's, keeps this
 * package below the program and free of training.
 */
import type { EnvRecord } from "@mlops/contracts";
import type { Store } from "@mlops/store";

export interface ReleaseCommandContext {
  readonly io: {
    readonly stdout: (text: string) => void;
    readonly env: EnvRecord;
  };
  /** Opens the store the environment names, runs `run` with it, and closes it. */
  readonly withStore: <T>(run: (store: Store) => Promise<T>) => Promise<T>;
}
