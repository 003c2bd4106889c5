/**
 * Writing a release plan into the stack with the Pulumi CLI (`pulumi config set`), one setting per
 * call, in plan order. The CLI is looked up on PATH first so that a missing install fails before
 * anything is written, with a message that says so. A plan is applied whole or not at all: when a
 * call fails (a stack lock, a backend that does not answer), the stack file is put back as it was,
 * so a champion's image tag never moves without its model.
 */
import { execFile } from "node:child_process";
import { access, constants, readFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { SERVING_CONFIG_KEY } from "@mlops/contracts";
import { fileErrorReason, writeFileAtomically } from "@mlops/contracts/files";
import type { ConfigChange } from "./plan.js";
import type { StackTarget } from "./stack-config.js";

/** The Pulumi CLI's executable name. */
export const PULUMI = "pulumi";

/** Longest one `pulumi config set` may take (it may call the backend for the stack). */
const CONFIG_SET_TIMEOUT_MS = 120_000;

/** The absolute path of `command` on `PATH`, or undefined when no executable is there. */
export async function findOnPath(
  command: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

/**
 * Arguments of the `pulumi config set` call for `change`. `--path` writes inside the serving
 * object; `--type` keeps the value's YAML type (with `--path` the CLI would otherwise turn an
 * all-digit image tag into a number); `--config-file` edits exactly the file the plan was read
 * from; `--` ends the flags so a value can never be taken for one.
 */
export function configSetArgs(target: StackTarget, change: ConfigChange): string[] {
  return [
    "config",
    "set",
    "--stack",
    target.stack,
    "--config-file",
    target.file,
    "--path",
    "--type",
    typeof change.to === "number" ? "int" : "string",
    `${SERVING_CONFIG_KEY}.${change.field}`,
    "--",
    String(change.to),
  ];
}

/**
 * Runs `pulumi config set` for each change; on the first failure puts the stack file back as it
 * was and throws, naming the setting and saying whether the file was restored.
 */
export async function applyChanges(
  target: StackTarget,
  changes: readonly ConfigChange[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const pulumi = await findOnPath(PULUMI, env);
  if (pulumi === undefined) {
    throw new Error(
      "--apply needs the Pulumi CLI, and `pulumi` is not on PATH: install it, or run without --apply and set the printed values by hand",
    );
  }
  const before = await readFile(target.file);
  try {
    for (const change of changes) await configSet(pulumi, target, change, env);
  } catch (error) {
    const failed = (error as Error).message;
    try {
      await writeFileAtomically(target.file, before);
    } catch (restore) {
      throw new Error(
        `${failed}; putting ${target.file} back as it was failed too (${fileErrorReason(restore)}): check it before deploying`,
        { cause: error },
      );
    }
    throw new Error(`${failed}; ${target.file} is as it was: nothing is applied`, {
      cause: error,
    });
  }
}

/** One `pulumi config set`; rejects naming the setting and the CLI's own message. */
function configSet(
  pulumi: string,
  target: StackTarget,
  change: ConfigChange,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile(
      pulumi,
      configSetArgs(target, change),
      // From the project directory: the CLI finds Pulumi.yaml there.
      { cwd: dirname(target.file), env: { ...env }, timeout: CONFIG_SET_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `pulumi config set ${SERVING_CONFIG_KEY}.${change.field} failed: ${stderr.trim() || error.message}`,
            ),
          );
        } else resolve();
      },
    );
  });
}
