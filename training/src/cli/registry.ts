/**
 * The registry's commands: `mlops models list|show|card|abandon` (what is registered, with
 * lineage and model cards, and closing a registration whose process died), `mlops register`
 * (an artifact folder as a new version) and `mlops promote` (move an alias).
 */
import { dirname, join } from "node:path";
import { ModelRefSchema } from "@mlops/contracts";
import { fileErrorReason, readBoundedText } from "@mlops/contracts/files";
import { CARD_FILE } from "@mlops/models";
import type { ModelSummary } from "@mlops/store";
import { type Command, InvalidArgumentError } from "commander";
import { OptionError } from "../errors.js";
import { runPromoteJob, runRegisterJob } from "../jobs/registry.js";
import { selectTracking } from "../tracking/select.js";
import type { CliContext } from "./context.js";
import { artifactRoot, artifactsHelp, integer } from "./flags.js";

/** Adds `mlops models list|show|card`, `mlops register` and `mlops promote`. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  const models = program.command("models").description("Registered models and their versions.");
  models
    .command("list")
    .description("Every registered model with its latest version and aliases.")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      ctx.withStore(async (store) => {
        const all = await store.models.summaries();
        ctx.print(opts.json, all, () =>
          all
            .map((m) => {
              const aliases = Object.entries(m.aliases).map(([a, v]) => `${a}=v${v}`);
              return `${m.name}\t${m.kind}\tlatest v${m.latest_version}${readiness(m)}\t${aliases.join(" ")}\n`;
            })
            .join(""),
        );
      }),
    );
  models
    .command("show")
    .description(
      "One version with its lineage: NAME, NAME@VERSION or NAME@ALIAS (NAME: the latest READY version).",
    )
    .argument("<ref>", "model reference")
    .option("--json", "print JSON")
    .action((ref: string, opts: { json?: boolean }) =>
      ctx.withStore(async (store) => {
        const v = await store.models.resolve(ref);
        ctx.print(opts.json, v, () =>
          [
            `${v.name} v${v.version} (${v.kind}, ${v.status})${v.aliases.length ? ` [${v.aliases.join(", ")}]` : ""}`,
            `run ${v.run_id ?? "-"}, data ${v.data_hash ?? "-"}, git ${v.git_sha ?? "-"}`,
            `artifact ${v.artifact.uri} (sha256 ${v.artifact.sha256})`,
            `params ${JSON.stringify(v.params)}`,
            `metrics ${JSON.stringify(v.metrics)}`,
            "",
          ].join("\n"),
        );
      }),
    );
  models
    .command("card")
    .description("Print a version's model card (Markdown).")
    .argument("<ref>", "model reference")
    .action((ref: string) =>
      ctx.withStore(async (store) => {
        const v = await store.models.resolve(ref);
        const path = join(dirname(v.artifact.uri), CARD_FILE);
        const card = await readBoundedText(path).catch((error: unknown) => {
          throw new Error(
            `${v.name} v${v.version} has no readable model card: ${path}: ${fileErrorReason(error)}`,
          );
        });
        ctx.io.stdout(card);
      }),
    );

  models
    .command("abandon")
    .description(
      "Mark a version whose registration never finished (its process died) FAILED_REGISTRATION. Only a PENDING_REGISTRATION version can be abandoned; a registration that is still writing its files then fails.",
    )
    .argument("<name@version>", "the pending version", pinnedVersion)
    .option("--json", "print JSON")
    .action((ref: { name: string; version: number }, opts: { json?: boolean }) =>
      ctx.withStore(async (store) => {
        const v = await store.models.finishRegistration(
          ref.name,
          ref.version,
          "FAILED_REGISTRATION",
        );
        ctx.print(
          opts.json,
          v,
          () => `${v.name} v${v.version}: PENDING_REGISTRATION → ${v.status}\n`,
        );
      }),
    );

  program
    .command("register")
    .description(
      "Register an existing artifact folder (manifest.json + model file) as a new version, with the lineage its manifest records.",
    )
    .requiredOption("--path <dir>", "the artifact folder")
    .option("--name <name>", "registered model name (default: the manifest's)")
    .option("--artifacts <dir>", artifactsHelp("directory for the new version's files"))
    .option("--json", "print one JSON object instead of text")
    .action((opts: { path: string; name?: string; artifacts?: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        const result = await runRegisterJob({
          path: opts.path,
          name: opts.name,
          store,
          mirror: selectTracking(ctx.io.env, store).mirror,
          artifactRoot: artifactRoot(opts.artifacts, ctx.io.env),
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
      "Point an alias at a version atomically. A classifier's champion moves only through an A/B decision unless --force with --reason.",
    )
    .requiredOption("--name <name>", "registered model name")
    .requiredOption("--version <v>", "the version", integer("--version", 1))
    .requiredOption("--alias <alias>", "the alias, e.g. challenger")
    .option(
      "--expected-version <x>",
      "fail unless the alias points at this version now (none: unset)",
      expectedVersion,
    )
    .option(
      "--force",
      "allow moving a classifier's champion outside an A/B decision (needs --reason; refused for any other move, which needs no forcing)",
    )
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
          expectedVersion: opts.expectedVersion === "none" ? null : opts.expectedVersion,
          forceReason: opts.force ? opts.reason : undefined,
          store,
          ...selectTracking(ctx.io.env, store),
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
  expectedVersion?: number | "none";
  force?: boolean;
  reason?: string;
  json?: boolean;
}

/** `models list`'s note when the newest version is not the one a bare name resolves to. */
function readiness(m: ModelSummary): string {
  if (m.ready_version === m.latest_version) return "";
  return m.ready_version === null ? " (none READY)" : ` (newest READY v${m.ready_version})`;
}

/** `NAME@VERSION`, a version by number (an alias or a bare name could name another one). */
function pinnedVersion(text: string): { name: string; version: number } {
  const ref = ModelRefSchema.safeParse(text);
  if (!ref.success || ref.data.selector !== "version") {
    const rule = ref.success ? "names no version" : (ref.error.issues[0]?.message ?? "is invalid");
    throw new InvalidArgumentError(
      `<name@version> ${rule}: write NAME@VERSION, e.g. classifier@3 (got ${JSON.stringify(text)})`,
    );
  }
  return ref.data;
}

/**
 * `--expected-version`: a version, or `none` (the alias must be unset). `none` stays a word here:
 * commander stores a parser's null as "" (which names no version), so the action maps it to null.
 */
function expectedVersion(text: string): number | "none" {
  if (text === "none") return "none";
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new InvalidArgumentError(
      `--expected-version must be a version ≥ 1 or "none" (got ${JSON.stringify(text)})`,
    );
  }
  return Number(text);
}
