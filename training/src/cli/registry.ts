import type { Store } from "@mlops/store";
import { type Command, InvalidArgumentError } from "commander";
import { OptionError } from "../errors.js";
import { runPromoteJob, runRegisterJob } from "../jobs/registry.js";
import { selectTracking } from "../tracking/select.js";

/** What the registry commands borrow from the program (store access, output, option parsers). */
export interface RegistryCommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly withStore: (run: (store: Store) => Promise<void>) => Promise<void>;
  readonly print: (json: boolean | undefined, value: unknown, text: () => string) => void;
  readonly integer: (flag: string, min: number) => (text: string) => number;
  readonly defaultArtifactRoot: string;
}

/** Adds `mlops register` and `mlops promote`. */
export function registerRegistryCommands(program: Command, ctx: RegistryCommandContext): void {
  program
    .command("register")
    .description(
      "Register an existing artifact folder (manifest.json + model file) as a new version, with the lineage its manifest records.",
    )
    .requiredOption("--path <dir>", "the artifact folder")
    .option("--name <name>", "registered model name (default: the manifest's)")
    .option("--artifacts <dir>", "directory for the new version's files", ctx.defaultArtifactRoot)
    .option("--json", "print one JSON object instead of text")
    .action((opts: { path: string; name?: string; artifacts: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        const result = await runRegisterJob({
          path: opts.path,
          name: opts.name,
          store,
          mirror: selectTracking(ctx.env, store).mirror,
          artifactRoot: opts.artifacts,
        });
        ctx.print(
          opts.json,
          result,
          () =>
            `${result.model.name} v${result.model.version} registered from ${result.source.name} v${result.source.version}\n` +
            `artifact ${result.artifact}\n`,
        );
      }),
    );

  program
    .command("promote")
    .description(
      "Point an alias at a version atomically. champion moves only through an A/B decision unless --force with --reason.",
    )
    .requiredOption("--name <name>", "registered model name")
    .requiredOption("--version <v>", "the version", ctx.integer("--version", 1))
    .requiredOption("--alias <alias>", "the alias, e.g. challenger")
    .option(
      "--expected-version <x>",
      "fail unless the alias points at this version now (none: unset)",
      expectedVersion,
    )
    .option("--force", "allow moving champion outside an A/B decision (needs --reason)")
    .option("--reason <text>", "why champion is forced; recorded on the promotion run")
    .option("--json", "print one JSON object instead of text")
    .action((opts: PromoteFlags) =>
      ctx.withStore(async (store) => {
        if (opts.force && !opts.reason?.trim()) {
          throw new OptionError("--reason", "is required with --force", opts.reason);
        }
        if (!opts.force && opts.reason !== undefined) {
          throw new OptionError("--reason", "is only used with --force", opts.reason);
        }
        const result = await runPromoteJob({
          name: opts.name,
          version: opts.version,
          alias: opts.alias,
          expectedVersion: opts.expectedVersion,
          forceReason: opts.force ? opts.reason : undefined,
          store,
          ...selectTracking(ctx.env, store),
        });
        ctx.print(
          opts.json,
          result,
          () =>
            `${result.model.name}@${result.alias}: ${result.previous === null ? "unset" : `v${result.previous}`} → v${result.model.version}` +
            `${result.forced ? " (forced)" : ""} (run ${result.run_id})\n`,
        );
      }),
    );
}

interface PromoteFlags {
  name: string;
  version: number;
  alias: string;
  expectedVersion?: number | null;
  force?: boolean;
  reason?: string;
  json?: boolean;
}

function expectedVersion(text: string): number | null {
  if (text === "none") return null;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new InvalidArgumentError(
      `--expected-version must be a version ≥ 1 or "none" (got ${JSON.stringify(text)})`,
    );
  }
  return Number(text);
}
