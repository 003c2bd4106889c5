/** What the release tests share: the prod stack's files, a serving block and decision records. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decision, ModelKind, ServingRelease } from "@mlops/contracts";
import { registerVersion, type Store } from "@mlops/store";

/** The repository root, where `Pulumi.yaml` and `Pulumi.prod.yaml` live. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The shipped prod stack config. */
export const PROD_STACK_FILE = join(ROOT, "Pulumi.prod.yaml");

/** A serving block mid-experiment: classifier v13 behind a 10 % canary, v12 the champion. */
export const SERVING: ServingRelease = {
  championImageTag: "1.4.2",
  challengerImageTag: "1.5.0-rc.1",
  championModel: "classifier@12",
  challengerModel: "classifier@13",
  canaryWeight: 10,
  experimentId: "classifier-12-vs-13",
};

/**
 * A decision record of kind `kind` about `experiment` (default: the one `SERVING` runs), judged
 * on `SERVING`'s champion and challenger models.
 */
export function decisionRecord(
  kind: Decision["decision"],
  experiment = SERVING.experimentId,
): Decision {
  return {
    id: `decision-${kind}`,
    experiment_id: experiment,
    decision: kind,
    variants: [
      { name: "champion", model: "classifier@12" },
      { name: "challenger", model: "classifier@13" },
    ],
    reason: `the analysis says ${kind}`,
    evidence: { p_value: 0.01 },
    decided_at: 1_795_000_000_000,
  };
}

/**
 * Registers `count` READY versions of `name` (1..count) of `kind`, as training would have: what
 * `mlops release experiment` checks the stack's models against.
 */
export async function registerModels(
  store: Store,
  name: string,
  count: number,
  kind: ModelKind = "classifier",
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await registerVersion(store.models, {
      name,
      kind,
      run_id: null,
      data_hash: null,
      git_sha: null,
      params: {},
      metrics: {},
      artifact: { uri: `file:.mlops/artifacts/${name}/model.json`, sha256: "e".repeat(64) },
    });
  }
}
