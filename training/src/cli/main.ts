import { parseStoreConfig } from "@mlops/contracts";
import { openStore } from "@mlops/store";
import { SingleBar } from "cli-progress";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { OptionError } from "../errors.js";
import { PROMOTION_METRICS } from "../jobs/promotion.js";
import { runTrainJob } from "../jobs/train.js";

/** Where the CLI reads and writes, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (progress bars only then). */
  readonly isTTY: boolean;
}

/** Default directory for run artifacts, relative to the working directory (like the store). */
export const DEFAULT_ARTIFACT_ROOT = ".mlops/artifacts";

function integer(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) {
      throw new InvalidArgumentError(
        `${flag} must be an integer ≥ ${min} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

function number(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${flag} must be a number (got ${JSON.stringify(text)})`);
    }
    return n;
  };
}

/** The `mlops` program. */
export function createProgram(io: CliIo): Command {
  const program = new Command("mlops")
    .description("Train, register and promote models of the MLOps platform.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command("train")
    .description(
      "Train a random forest on a CSV (its `split` column, else a seeded stratified 80/20 split), track the run and register the model.",
    )
    .requiredOption("--data <file>", "CSV with a header, the label column and numeric features")
    .requiredOption("--label <column>", "the label column")
    .option("--name <name>", "registered model name (default: the file's base name)")
    .option("--trees <n>", "number of trees", integer("--trees", 1), 100)
    .option("--seed <s>", "seed of the forest and of the split", integer("--seed", 0), 42)
    .option("--threads <t>", "worker threads", integer("--threads", 1), 1)
    .option("--artifacts <dir>", "directory for run artifacts", DEFAULT_ARTIFACT_ROOT)
    .option("--auto-promote", "make the new version `challenger` if it passes the promotion gate")
    .option(
      "--promotion-threshold <x>",
      "the gate: --metric must reach this value",
      number("--promotion-threshold"),
    )
    .option("--metric <m>", `metric of the gate (${PROMOTION_METRICS.join(", ")})`, "accuracy")
    .option("--json", "print one JSON object (run_id, model, metrics, fit_ms) instead of text")
    .action(async (opts: TrainFlags) => {
      if (opts.autoPromote && opts.promotionThreshold === undefined) {
        throw new OptionError(
          "--promotion-threshold",
          "is required with --auto-promote",
          undefined,
        );
      }
      const promotion = opts.autoPromote
        ? { metric: opts.metric, threshold: opts.promotionThreshold! }
        : undefined;
      const store = await openStore(parseStoreConfig(io.env));
      const bar =
        io.isTTY && !opts.json
          ? new SingleBar({ format: "training {bar} {value}/{total} trees" })
          : undefined;
      try {
        bar?.start(opts.trees, 0);
        const result = await runTrainJob({
          data: opts.data,
          label: opts.label,
          name: opts.name,
          trees: opts.trees,
          seed: opts.seed,
          threads: opts.threads,
          store,
          artifactRoot: opts.artifacts,
          onProgress: (p) => bar?.update(p.treesDone),
          promotion,
        });
        bar?.stop();
        if (opts.json) {
          io.stdout(`${JSON.stringify(result)}\n`);
        } else {
          const m = result.metrics;
          io.stdout(
            `${result.model.name} v${result.model.version} (run ${result.run_id})\n` +
              `accuracy ${m.accuracy.toFixed(4)}, balanced accuracy ${m.balanced_accuracy.toFixed(4)}, ` +
              `log loss ${m.log_loss.toFixed(4)}; fit ${result.fit_ms.toFixed(0)} ms\n` +
              `artifact ${result.artifact}\n` +
              (result.promotion
                ? `${result.promotion.promoted ? "promoted to challenger" : "not promoted"}: ${result.promotion.reason}\n`
                : ""),
          );
        }
      } finally {
        bar?.stop();
        await store.close();
      }
    });
  return program;
}

interface TrainFlags {
  data: string;
  label: string;
  name?: string;
  trees: number;
  seed: number;
  threads: number;
  artifacts: string;
  autoPromote?: boolean;
  promotionThreshold?: number;
  metric: string;
  json?: boolean;
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
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
