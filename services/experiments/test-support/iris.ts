/**
 * The A/B fixtures the experiments tests and the `mlops ab` CLI tests share: the iris classifier
 * registered at versions 1 (champion) and 2, a running 50/50 experiment between them, and a
 * logged prediction of either arm.
 */
import type { ExperimentInput, ModelVersionInput, PredictionRecordInput } from "@mlops/contracts";
import { registerVersion, type Store } from "@mlops/store";

/** What {@link registerIrisVersions} may vary. */
export interface IrisVersionOptions {
  /** Version 2's params. Default none. */
  readonly challengerParams?: ModelVersionInput["params"];
  /** Versions 1 and 2's artifacts, for tests that read them. Default: a file never read. */
  readonly artifacts?: readonly [ModelVersionInput["artifact"], ModelVersionInput["artifact"]];
}

/** Registers iris versions 1 and 2 and makes 1 the champion. */
export async function registerIrisVersions(
  store: Store,
  options: IrisVersionOptions = {},
): Promise<void> {
  const version: ModelVersionInput = {
    name: "iris",
    kind: "classifier",
    run_id: null,
    data_hash: null,
    git_sha: null,
    params: {},
    metrics: {},
    artifact: { uri: "file:model.json", sha256: "c".repeat(64) },
  };
  const [first, second] = options.artifacts ?? [version.artifact, version.artifact];
  await registerVersion(store.models, { ...version, artifact: first });
  await registerVersion(store.models, {
    ...version,
    artifact: second,
    params: options.challengerParams ?? {},
  });
  await store.models.setAlias("iris", "champion", 1);
}

/** A running experiment `id`, champion iris@1 against challenger iris@2 at 50/50, on accuracy. */
export function irisExperiment(id: string, over: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    id,
    variants: [
      { name: "champion", weight: 50, model: "iris@1" },
      { name: "challenger", weight: 50, model: "iris@2" },
    ],
    primary_metric: "accuracy",
    state: "running",
    ...over,
  };
}

/**
 * An `ok` prediction of class "a" by the arm's iris version (1 for the champion, 2 otherwise),
 * without a user or an assignment (recorded as unknown); `record` names it and may set any
 * other field.
 */
export function irisPrediction(
  record: Pick<PredictionRecordInput, "request_id" | "experiment_id" | "variant" | "timestamp"> &
    Partial<PredictionRecordInput>,
): PredictionRecordInput {
  return {
    model_name: "iris",
    model_version: record.variant === "champion" ? 1 : 2,
    user_id: null,
    prediction: "a",
    probabilities: { a: 0.7, b: 0.3 },
    latency_ms: 10,
    status: "ok",
    ...record,
  };
}
