/** `mlops garch fit`: select, fit, track and register a GARCH volatility model. */
import { type DistName, MAX_ORDER } from "@mlops/garch";
import type { Command } from "commander";
import { OptionError } from "../errors.js";
import { runGarchJob } from "../jobs/garch.js";
import { selectTracking } from "../tracking/select.js";
import type { CliContext } from "./context.js";
import { artifactRoot, artifactsHelp, dataFlag, integer } from "./flags.js";
import { commandProgress } from "./progress.js";

const DISTS: readonly DistName[] = ["normal", "t", "skewt", "ged"];

/** Adds `mlops garch fit`. */
export function registerGarchCommands(program: Command, ctx: CliContext): void {
  const garch = program.command("garch").description("GARCH volatility models.");
  garch
    .command("fit")
    .description(
      "Select and fit a GARCH(p,q) model on a returns CSV, track the run and register it (kind garch).",
    )
    .requiredOption("--data <file>", "CSV of returns with a header", dataFlag)
    .requiredOption("--name <name>", "registered model name")
    .option("--column <name>", "the returns column (default: the only column)")
    .option("--max-p <p>", "largest ARCH order tried", integer("--max-p", 1, MAX_ORDER), 2)
    .option("--max-q <q>", "largest GARCH order tried", integer("--max-q", 1, MAX_ORDER), 2)
    .option(
      "--dist <list>",
      `error distributions tried, comma-separated (${DISTS.join(", ")})`,
      "normal,t",
    )
    .option("--criterion <c>", "aic or bic", "bic")
    .option("--artifacts <dir>", artifactsHelp("directory for run artifacts"))
    .option("--json", "print one JSON object instead of text")
    .action((opts: GarchFlags) =>
      ctx.withStore(async (store) => {
        const dists = opts.dist.split(",").map((d) => d.trim());
        for (const d of dists) {
          if (!(DISTS as readonly string[]).includes(d)) {
            throw new OptionError("--dist", `must list distributions of ${DISTS.join(", ")}`, d);
          }
        }
        if (new Set(dists).size < dists.length) {
          throw new OptionError("--dist", "must list each distribution once", opts.dist);
        }
        if (opts.criterion !== "aic" && opts.criterion !== "bic") {
          throw new OptionError("--criterion", 'must be "aic" or "bic"', opts.criterion);
        }
        const progress = commandProgress(ctx.io, opts.json, {
          bar: "fitting {bar} {value}/{total} candidate models",
          line: (done, total) => `fitting: ${done}/${total} candidate models fitted`,
        });
        const result = await runGarchJob({
          data: opts.data,
          column: opts.column,
          name: opts.name,
          maxP: opts.maxP,
          maxQ: opts.maxQ,
          dists: dists as DistName[],
          criterion: opts.criterion,
          store,
          ...selectTracking(ctx.io.env, store),
          artifactRoot: artifactRoot(opts.artifacts, ctx.io.env),
          onCandidate: (done, total) => progress.update(done, total),
        })
          .catch((error: unknown) => {
            // The job checks the name; the user typed it as --name.
            if (error instanceof OptionError && error.option === "name") {
              throw new OptionError("--name", error.rule, error.value);
            }
            throw error;
          })
          .finally(() => progress.stop());
        ctx.print(
          opts.json,
          result,
          () =>
            `${result.model.name} v${result.model.version} (run ${result.run_id}): ` +
            `GARCH(${result.spec.p},${result.spec.q}) ${result.spec.dist}, ` +
            `log-likelihood ${result.metrics.log_likelihood.toFixed(3)}, bic ${result.metrics.bic.toFixed(3)} ` +
            `(${result.candidates} candidates, ${result.fit_ms.toFixed(0)} ms)\n`,
        );
      }),
    );
}

interface GarchFlags {
  data: string;
  name: string;
  column?: string;
  maxP: number;
  maxQ: number;
  dist: string;
  criterion: string;
  artifacts?: string;
  json?: boolean;
}
