import { randomUUID } from "node:crypto";
import { access } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  AliasSchema,
  armsMismatch,
  CHALLENGER,
  CHAMPION,
  type ModelManifest,
  ModelManifestSchema,
  type ModelVersion,
  NameSchema,
} from "@mlops/contracts";
import { fileErrorReason, readBoundedText } from "@mlops/contracts/files";
import {
  ArtifactError,
  CARD_FILE,
  MANIFEST_FILE,
  readArtifact,
  readArtifactDir,
  versionInput,
  writeArtifact,
} from "@mlops/models";
import { registerVersion, type Store } from "@mlops/store";
import { prepareArtifactFolder } from "../artifact.js";
import { OptionError } from "../errors.js";
import type { RegistryMirror } from "../tracking/mlflow-registry.js";
import type { RunTracker } from "../tracking/tracker.js";

/** What `mlops register` does, as a function. */
export interface RegisterJobInput {
  /** An artifact directory: `manifest.json`, the model file it names, optionally `card.md`. */
  readonly path: string;
  /** Registered model name. @default the manifest's name */
  readonly name?: string;
  readonly store: Store;
  /** Where the new version is mirrored, e.g. MLflow's registry. */
  readonly mirror?: RegistryMirror | null;
  /** The new version's files go to `<root>/registered/<name>-<id>`. */
  readonly artifactRoot: string;
}

/** The result scripts read (`mlops register --json`). */
export interface RegisterJobOutput {
  readonly model: { readonly name: string; readonly version: number };
  /** The version the folder held before (its manifest's name and version). */
  readonly source: { readonly name: string; readonly version: number; readonly path: string };
  /** The new artifact directory, whose manifest names the new version. */
  readonly artifact: string;
}

/**
 * Registers an existing artifact folder as a new version: the model file must match the
 * manifest's checksum; the version inherits the manifest's lineage (run, data hash, git sha,
 * params, metrics, kind). The files are copied to a new directory whose manifest names the new
 * version, because servers check that a manifest matches the version they were asked to load;
 * the model bytes (and so their checksum) are unchanged.
 */
export async function runRegisterJob(input: RegisterJobInput): Promise<RegisterJobOutput> {
  await access(join(input.path, MANIFEST_FILE)).catch((error: unknown) => {
    throw new OptionError(
      "--path",
      `must be an artifact directory with ${MANIFEST_FILE}: ${fileErrorReason(error)}`,
      input.path,
    );
  });
  const { manifest, model } = await readArtifactDir(input.path);
  const name = input.name ?? manifest.name;
  const checked = NameSchema.safeParse(name);
  if (!checked.success) {
    throw new OptionError("--name", checked.error.issues[0]?.message ?? "is not valid", name);
  }
  const card = await readBoundedText(join(input.path, CARD_FILE)).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  });
  // The directory must be named before the store assigns the version: a fresh id keeps it unique.
  const dir = join(input.artifactRoot, "registered", `${name}-${randomUUID().slice(0, 8)}`);
  prepareArtifactFolder(input.artifactRoot, dir);
  const version = await registerVersion(
    input.store.models,
    {
      ...versionInput(
        manifest,
        { uri: join(dir, manifest.model_file), sha256: manifest.model_sha256 },
        `Registered from ${input.path} (${manifest.name} v${manifest.version})`,
      ),
      name,
    },
    (pending) => {
      const renamed: ModelManifest = ModelManifestSchema.parse({
        ...manifest,
        name,
        version: pending.version,
        created: new Date().toISOString(),
      });
      return writeArtifact(dir, {
        manifest: renamed,
        model,
        ...(card === undefined ? {} : { card: retitleCard(card, renamed, manifest, input.path) }),
      });
    },
  );
  // Mirrored once the files exist: the mirror hands them to the registry it copies into.
  await input.mirror?.versionRegistered(version);
  return {
    model: { name, version: version.version },
    source: { name: manifest.name, version: manifest.version, path: input.path },
    artifact: dir,
  };
}

/** The card's title names the new version; a line under it says where it was registered from. */
function retitleCard(card: string, to: ModelManifest, from: ModelManifest, path: string): string {
  const title = `# Model card: ${to.name} v${to.version}`;
  const note = `Registered from \`${path}\`, where it was ${from.name} v${from.version}.`;
  const [first = "", ...rest] = card.split("\n");
  return first.startsWith("# ")
    ? [title, "", note, ...rest].join("\n")
    : [title, "", note, "", card].join("\n");
}

/** What `mlops promote` does, as a function. */
export interface PromoteJobInput {
  readonly name: string;
  readonly version: number;
  readonly alias: string;
  /** The version the alias must point at now (null: it must be unset); a stale read fails. */
  readonly expectedVersion?: number | null;
  /**
   * Why a classifier's `champion` is moved outside an A/B decision: required for that move, and
   * refused for any other (which is not gated, so there is nothing to force).
   */
  readonly forceReason?: string;
  readonly store: Store;
  /** Where the move is recorded as a run. @default store.runs */
  readonly tracker?: RunTracker;
  /** Where the alias is mirrored, e.g. MLflow's registry. */
  readonly mirror?: RegistryMirror | null;
}

/** The result scripts read (`mlops promote --json`). */
export interface PromoteJobOutput {
  readonly model: { readonly name: string; readonly version: number };
  readonly alias: string;
  /** The version the alias pointed at before, or null. */
  readonly previous: number | null;
  /** The run that records the move. */
  readonly run_id: string;
  readonly forced: boolean;
}

/**
 * Refuses to make `target` one arm of the A/B test (champion or challenger) when the version the
 * other arm's alias names takes other features or predicts other classes: the challenger's
 * Deployment would answer the champion's requests with errors or with predictions of features
 * it was not trained on.
 */
async function checkArms(
  name: string,
  alias: string,
  target: ModelVersion,
  mine: ModelManifest["feature_schema"],
  aliases: Readonly<Record<string, number>>,
  store: Store,
): Promise<void> {
  const other = alias === CHAMPION ? CHALLENGER : alias === CHALLENGER ? CHAMPION : null;
  const otherVersion = other === null ? undefined : aliases[other];
  if (otherVersion === undefined || otherVersion === target.version) return;
  const otherRecord = await store.models.get(name, otherVersion);
  if (otherRecord === null) return;
  // A version whose files are gone cannot be compared; what serves it fails on its own.
  const theirs = await readArtifact(otherRecord.artifact).then(
    (a) => a.manifest.feature_schema,
    (error: unknown) => {
      if (error instanceof ArtifactError) return null;
      throw error;
    },
  );
  if (theirs === null) return;
  const why = alias === CHAMPION ? armsMismatch(mine, theirs) : armsMismatch(theirs, mine);
  if (why !== null) {
    throw new OptionError(
      "--version",
      `${name}@${other} is v${otherVersion}, and v${target.version} cannot be its ${alias}: ${why}`,
      target.version,
    );
  }
}

/**
 * Points an alias at a version with the store's compare-and-set (`setAlias` with
 * `expectedVersion`), so two concurrent promotions cannot both win. A classifier's `champion` is
 * what serves production and moves only through an A/B decision (`mlops ab analyze --apply`);
 * moving it here needs `forceReason`. A GARCH fit's champion moves like any other alias, and it
 * takes no challenger. Every move is recorded as a run of the model's experiment (alias, from,
 * to, forced, reason) so that a forced move can be audited.
 */
export async function runPromoteJob(input: PromoteJobInput): Promise<PromoteJobOutput> {
  const name = NameSchema.safeParse(input.name);
  if (!name.success) {
    throw new OptionError("--name", name.error.issues[0]?.message ?? "is not valid", input.name);
  }
  const alias = AliasSchema.safeParse(input.alias);
  if (!alias.success) {
    throw new OptionError("--alias", alias.error.issues[0]?.message ?? "is not valid", input.alias);
  }
  const reason = input.forceReason?.trim();
  const { store } = input;
  const target = await store.models.get(input.name, input.version);
  if (!target) {
    const versions = await store.models.list(input.name);
    if (versions.length === 0) {
      throw new OptionError(
        "--name",
        "names no registered model (see mlops models list)",
        input.name,
      );
    }
    throw new OptionError(
      "--version",
      `names no registered version of ${input.name}: its versions are ${versions
        .map((v) => v.version)
        .sort((a, b) => a - b)
        .join(", ")}`,
      input.version,
    );
  }
  // A classifier's champion is what an A/B test measures the challenger against; a GARCH fit
  // has no A/B test, and its champion (what the GARCH service serves) moves like any alias.
  if (input.alias === CHALLENGER && target.kind !== "classifier") {
    throw new OptionError(
      "--alias",
      `challenger is the second arm of a classifier's A/B test, and ${input.name} is a ${target.kind} model, which has none: make it champion (what the GARCH service serves) or give it another alias`,
      input.alias,
    );
  }
  const decidedByAb = input.alias === CHAMPION && target.kind === "classifier";
  // Only a classifier's champion move is gated; forcing any other would record a force that
  // forced nothing.
  if (reason && !decidedByAb) {
    const why =
      target.kind === "classifier"
        ? `${input.alias} moves without an A/B decision`
        : `${input.name} is a GARCH model, whose aliases (champion too) move without an A/B decision`;
    throw new OptionError(
      "--force",
      `forces nothing here: ${why}; only a classifier's champion move is gated (drop --force and --reason)`,
      undefined,
    );
  }
  if (decidedByAb && !reason) {
    throw new OptionError(
      "--alias",
      "champion moves only through an A/B decision (mlops ab analyze --apply); use --force --reason TEXT to override",
      input.alias,
    );
  }
  // The store refuses it too; said here with the flag it comes from.
  if (target.status !== "READY") {
    throw new OptionError(
      "--version",
      `v${target.version} of ${input.name} cannot take an alias: it is ${target.status}, and only a READY version can (register the model again)`,
      input.version,
    );
  }
  // No alias may name a version whose files cannot be served now (moved, deleted, altered).
  const { manifest } = await readArtifact(target.artifact).catch((error: unknown) => {
    if (!(error instanceof ArtifactError)) throw error;
    throw new OptionError(
      "--version",
      `v${target.version} of ${input.name} cannot take an alias: its artifact does not read (${error.message})`,
      input.version,
    );
  });
  const aliases = await store.models.aliases(input.name);
  // Making the champion's version the challenger too would A/B test it against itself. (The
  // reverse, challenger's version to champion, is a promotion: the A/B decision leaves both
  // aliases on it until the next challenger.)
  if (input.alias === CHALLENGER && aliases[CHAMPION] === input.version) {
    throw new OptionError(
      "--version",
      `is ${input.name}@${CHAMPION}: the challenger must be another version, or the A/B test compares the champion with itself`,
      input.version,
    );
  }
  await checkArms(input.name, input.alias, target, manifest.feature_schema, aliases, store);
  const previous = aliases[input.alias] ?? null;
  // Said here with the flag it comes from; the store's compare-and-set still catches a move
  // between this read and the write.
  if (input.expectedVersion !== undefined && input.expectedVersion !== previous) {
    const now = previous === null ? "is unset" : `points at v${previous}`;
    throw new OptionError(
      "--expected-version",
      `does not hold: ${input.name}@${input.alias} ${now}`,
      input.expectedVersion ?? "none",
    );
  }
  const expected = input.expectedVersion === undefined ? previous : input.expectedVersion;
  await store.models.setAlias(input.name, input.alias, input.version, {
    expectedVersion: expected,
  });
  await input.mirror?.aliasMoved(input.name, input.alias, input.version);
  const tracker = input.tracker ?? store.runs;
  const forced = decidedByAb;
  const now = Date.now();
  const { run_id: runId } = await tracker.create({
    run_id: randomUUID().replaceAll("-", ""),
    experiment_name: input.name,
    run_name: `promote ${input.name}@${input.alias}`,
    start_time: now,
    params: { alias: input.alias, version: input.version },
    tags: {
      "mlops.kind": "promotion",
      "mlops.alias": input.alias,
      "mlops.previous_version": previous === null ? "none" : String(previous),
      "mlops.model": `${input.name}@${input.version}`,
      "mlops.forced": String(forced),
      "mlops.host": hostname(),
      ...(reason ? { "mlops.reason": reason } : {}),
    },
  });
  await tracker.finish(runId, "FINISHED", Date.now());
  return {
    model: { name: input.name, version: input.version },
    alias: input.alias,
    previous,
    run_id: runId,
    forced,
  };
}
