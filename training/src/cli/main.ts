/**
 * The `mlops` program, assembled: one module per command group, each given the one shared
 * context (`context.ts`); the release and smoke groups come from `@mlops/release`. `main` runs it
 * and turns its outcome into an exit code.
 */
import { registerReleaseCommands, registerSmokeCommand } from "@mlops/release";
import { Command, CommanderError } from "commander";
import { Interrupted } from "../errors.js";
import { registerAbCommands } from "./ab.js";
import { registerTrialCommand } from "./azureml.js";
import { type CliIo, createCliContext } from "./context.js";
import { registerCostCommand } from "./cost.js";
import { registerDemoCommand } from "./demo.js";
import { registerEvaluateCommand } from "./evaluate.js";
import { registerForestCommands } from "./forest.js";
import { registerGarchCommands } from "./garch.js";
import { registerGateCommand } from "./gate.js";
import { registerLoadTestCommand } from "./loadtest.js";
import { registerRegistryCommands } from "./registry.js";
import { registerRunsCommands } from "./runs.js";
import { registerSweepCommand } from "./sweep.js";
import { registerTrainCommand } from "./train.js";

/** The `mlops` program. */
export function createProgram(io: CliIo): Command {
  const program = new Command("mlops")
    .description("Train, register and promote models of the MLOps platform.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const ctx = createCliContext(io);
  registerTrainCommand(program, ctx);
  registerSweepCommand(program, ctx);
  registerEvaluateCommand(program, ctx);
  registerRegistryCommands(program, ctx);
  registerRunsCommands(program, ctx);
  registerGarchCommands(program, ctx);
  registerForestCommands(program, ctx);
  registerTrialCommand(program, ctx);
  registerSmokeCommand(program, ctx);
  registerLoadTestCommand(program, ctx);
  registerCostCommand(program, ctx);
  registerReleaseCommands(program, ctx);
  registerAbCommands(program, ctx);
  registerDemoCommand(program, ctx);
  registerGateCommand(program, ctx);
  return program;
}

/**
 * Runs the CLI on `argv` (without the node and script entries) and returns the exit code:
 * 0 on success, 1 on bad input or a failed job (the message on stderr), commander's code on
 * usage errors.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof Interrupted) {
      io.stderr(
        `${error.message}: runs it had not finished are marked KILLED, and nothing they trained was registered\n`,
      );
      return error.exitCode;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
