/**
 * Runs this package's command groups in-process, mounted on a bare `mlops` program as the CLI
 * mounts them, against a SQLite store file.
 */
import { openSqliteStore } from "@mlops/store";
import { Command } from "commander";
import type { ReleaseCommandContext } from "../src/cli/context.js";
import { registerReleaseCommands } from "../src/cli/release.js";
import { registerSmokeCommand } from "../src/cli/smoke.js";

/** What a command printed, and the error it failed with (undefined on success). */
export interface CommandRun {
  readonly stdout: string;
  readonly error: Error | undefined;
}

/** Runs `mlops argv` with `env` and the store at `dbPath` (an in-memory one by default). */
export async function runCommands(
  argv: readonly string[],
  env: Record<string, string> = {},
  dbPath = ":memory:",
): Promise<CommandRun> {
  let stdout = "";
  const ctx: ReleaseCommandContext = {
    io: { stdout: (text) => (stdout += text), env },
    withStore: async (run) => {
      const store = openSqliteStore(dbPath);
      try {
        return await run(store);
      } finally {
        await store.close();
      }
    },
  };
  const program = new Command("mlops")
    .exitOverride()
    .configureOutput({ writeOut: ctx.io.stdout, writeErr: () => {} });
  registerReleaseCommands(program, ctx);
  registerSmokeCommand(program, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return { stdout, error: undefined };
  } catch (error) {
    return { stdout, error: error as Error };
  }
}
