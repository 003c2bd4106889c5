/**
 * The model registry's records: a version of a named model with its lineage, the artifact
 * manifest written beside every model file, and tracked runs (MLflow's shape, snake_case).
 */
import { z } from "zod";
import { truncateText } from "./errors.js";
import { AliasSchema } from "./model-ref.js";
import {
  ClassLabelSchema,
  EpochMsSchema,
  GitShaSchema,
  IdSchema,
  MAX_TEXT,
  MetricsSchema,
  NameSchema,
  ParamsSchema,
  PROTO_KEY_RULE,
  RecordKeySchema,
  Sha256HexSchema,
  TagsSchema,
  VersionSchema,
} from "./primitives.js";

/** What a model version holds: a classifier (a random forest or boosted trees) or a GARCH fit. */
export const ModelKindSchema = z.enum(["classifier", "garch"]);
export type ModelKind = z.infer<typeof ModelKindSchema>;

/** How a classifier was learned: a random forest or gradient-boosted trees. */
export const ClassifierAlgorithmSchema = z.enum(["forest", "gbdt"], {
  error: 'must be "forest" or "gbdt"',
});
export type ClassifierAlgorithm = z.infer<typeof ClassifierAlgorithmSchema>;

/**
 * The algorithm of a registered version, from the `algorithm` param every trainer records; a
 * classifier registered before boosted trees existed has none and is a forest. Null for GARCH,
 * and for a classifier whose `algorithm` param is not one this package knows.
 */
export function versionAlgorithm(
  version: Pick<ModelVersion, "kind" | "params">,
): ClassifierAlgorithm | null {
  if (version.kind !== "classifier") return null;
  const parsed = ClassifierAlgorithmSchema.safeParse(version.params.algorithm ?? "forest");
  return parsed.success ? parsed.data : null;
}

/** Where an artifact lives (`file:`/relative path locally, `https:`/`azureml:` in the cloud). */
export const ArtifactUriSchema = z.string().min(1).max(2048);

/** An artifact and the SHA-256 of its bytes, checked before a server loads it. */
export const ArtifactRefSchema = z.object({
  uri: ArtifactUriSchema,
  sha256: Sha256HexSchema,
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/** What a caller supplies to register a version; the store assigns `version` and `created_at`. */
export const ModelVersionInputSchema = z.object({
  name: NameSchema,
  kind: ModelKindSchema,
  run_id: IdSchema.nullable(),
  data_hash: Sha256HexSchema.nullable(),
  git_sha: GitShaSchema.nullable(),
  params: ParamsSchema,
  metrics: MetricsSchema,
  artifact: ArtifactRefSchema,
  description: z.string().max(MAX_TEXT).default(""),
});
export type ModelVersionInput = z.input<typeof ModelVersionInputSchema>;

/**
 * Where a version's registration stands, with MLflow's names: a version is recorded first
 * (PENDING_REGISTRATION, its number reserved), its files are written next, and only then is it
 * READY; FAILED_REGISTRATION when writing them failed. A process killed in between leaves it
 * pending. Only a READY version takes an alias or answers `name@latest`.
 */
export const ModelVersionStatusSchema = z.enum([
  "PENDING_REGISTRATION",
  "READY",
  "FAILED_REGISTRATION",
]);
export type ModelVersionStatus = z.infer<typeof ModelVersionStatusSchema>;

/** A registered version as the store returns it, with the aliases that point at it now. */
export const ModelVersionSchema = ModelVersionInputSchema.extend({
  version: VersionSchema,
  created_at: EpochMsSchema,
  status: ModelVersionStatusSchema,
  aliases: z.array(AliasSchema).max(100),
});
export type ModelVersion = z.infer<typeof ModelVersionSchema>;

/** One feature column of a classifier's input, in the order `features` arrays use. */
export const FeatureSpecSchema = z.object({
  name: z.string().min(1).max(128),
  type: z.literal("number"),
});

/** The input a model expects. */
export const FeatureSchemaSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("classifier"),
    features: z
      .array(FeatureSpecSchema)
      .min(1)
      .max(1024)
      .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, {
        error: "feature names must be unique",
      }),
    target: z.string().min(1).max(128),
    classes: z.array(ClassLabelSchema).min(2).max(1000),
  }),
  z.object({
    kind: z.literal("garch"),
    /** The series the fit was estimated on, e.g. "returns" (in percent). */
    series: z.string().min(1).max(128),
  }),
]);
export type FeatureSchema = z.infer<typeof FeatureSchemaSchema>;

/**
 * Why models of these two input schemas cannot be one A/B test's champion and challenger, or
 * null when they can. A request carries one feature row whichever arm serves it, so both must
 * take the same features in the same order; the analysis scores both against one outcome label,
 * so both must predict the same classes (in any order).
 */
export function armsMismatch(champion: FeatureSchema, challenger: FeatureSchema): string | null {
  if (champion.kind !== "classifier" || challenger.kind !== "classifier") {
    return `both must be classifiers (the champion is a ${champion.kind} model, the challenger a ${challenger.kind} model)`;
  }
  const list = (names: readonly string[]) => truncateText(names.join(", "), 200);
  const features = [champion, challenger].map((s) => s.features.map((f) => f.name));
  if (features[0]!.join("\u0000") !== features[1]!.join("\u0000")) {
    return `both must take the same features in the same order (the champion takes ${list(features[0]!)}; the challenger ${list(features[1]!)})`;
  }
  const classes = [champion, challenger].map((s) => [...s.classes].sort());
  if (classes[0]!.join("\u0000") !== classes[1]!.join("\u0000")) {
    return `both must predict the same classes (the champion predicts ${list(champion.classes)}; the challenger ${list(challenger.classes)})`;
  }
  return null;
}

/**
 * Manifest formats this package reads. Format 2 added `algorithm` (a classifier's, required
 * there); a format 1 classifier is a random forest. A newer format is refused by name, so an
 * older reader never misreads a model it does not know.
 */
export const MANIFEST_FORMAT_VERSIONS = [1, 2] as const;
/** The format writers produce. */
export const MANIFEST_FORMAT_VERSION = 2;

/**
 * `manifest.json`, written beside the model file: enough to load, check and trace the model
 * without the registry.
 */
export const ModelManifestSchema = z
  .object({
    format_version: z.literal(MANIFEST_FORMAT_VERSIONS, {
      error: (issue) =>
        `must be a manifest format this reader knows (${MANIFEST_FORMAT_VERSIONS.join(" or ")}), got ${JSON.stringify(issue.input)}: a newer format needs a newer @mlops/models`,
    }),
    name: NameSchema,
    version: VersionSchema,
    kind: ModelKindSchema,
    /** A classifier's algorithm (format 2 on; absent for GARCH). */
    algorithm: ClassifierAlgorithmSchema.optional(),
    feature_schema: FeatureSchemaSchema,
    metrics: MetricsSchema,
    params: ParamsSchema,
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    data_hash: Sha256HexSchema,
    git_sha: GitShaSchema.nullable(),
    run_id: IdSchema,
    /** ISO-8601 UTC, e.g. 2026-08-01T12:00:00.000Z. */
    created: z.iso.datetime(),
    /** The model file beside the manifest (e.g. `model.json`) and its SHA-256. */
    model_file: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, { error: "must be a plain file name without a path" }),
    model_sha256: Sha256HexSchema,
  })
  .refine((m) => m.kind === m.feature_schema.kind, {
    error: "feature_schema.kind must equal kind",
    path: ["feature_schema", "kind"],
  })
  .refine(
    (m) => m.format_version === 1 || (m.kind === "classifier") === (m.algorithm !== undefined),
    {
      error: "is required for a classifier and absent otherwise (manifest format 2)",
      path: ["algorithm"],
    },
  )
  .refine((m) => m.format_version === 2 || m.algorithm === undefined, {
    error: "is not part of manifest format 1",
    path: ["algorithm"],
  });
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** A manifest's classifier algorithm (format 1 classifiers are forests); null for GARCH. */
export function manifestAlgorithm(manifest: ModelManifest): ClassifierAlgorithm | null {
  if (manifest.kind !== "classifier") return null;
  return manifest.algorithm ?? "forest";
}

/** MLflow's run states. */
export const RunStatusSchema = z.enum(["RUNNING", "FINISHED", "FAILED", "KILLED"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** One point of a metric's history. */
export const MetricPointSchema = z.object({
  key: RecordKeySchema.refine((key) => key !== "__proto__", { error: PROTO_KEY_RULE }),
  value: z.number(),
  step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  timestamp: EpochMsSchema,
});
export type MetricPoint = z.infer<typeof MetricPointSchema>;

/** A file a run produced. */
export const RunArtifactSchema = z.object({
  path: z.string().min(1).max(1024),
  uri: ArtifactUriSchema,
});
export type RunArtifact = z.infer<typeof RunArtifactSchema>;

/** What a caller supplies to start a run. */
export const RunInputSchema = z.object({
  run_id: IdSchema,
  experiment_name: NameSchema,
  run_name: z.string().max(250).default(""),
  parent_run_id: IdSchema.nullable().default(null),
  start_time: EpochMsSchema,
  params: ParamsSchema.default({}),
  tags: TagsSchema.default({}),
});
export type RunInput = z.input<typeof RunInputSchema>;

/** A tracked run: params, metric histories by step (per key, ordered by step), tags, artifacts. */
export const TrackedRunSchema = RunInputSchema.extend({
  status: RunStatusSchema,
  end_time: EpochMsSchema.nullable(),
  metrics: z.record(z.string(), z.array(MetricPointSchema)),
  artifacts: z.array(RunArtifactSchema).max(10_000),
});
export type TrackedRun = z.infer<typeof TrackedRunSchema>;

/**
 * The registered names of the demo's models: what `pnpm start`'s demo job registers and what it
 * serves (`MLOPS_GARCH_MODEL` included), so the local start can name them before anything loads.
 */
export const DEMO_MODELS = { classifier: "classifier", garch: "dem2gbp" } as const;
