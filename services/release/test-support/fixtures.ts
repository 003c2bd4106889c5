/** What the release tests share: the prod stack's files, a serving block and decision records. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decision, ServingRelease } from "@mlops/contracts";

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

/** A decision record of kind `kind` about `experiment` (default: the one `SERVING` runs). */
export function decisionRecord(
  kind: Decision["decision"],
  experiment = SERVING.experimentId,
): Decision {
  return {
    id: `decision-${kind}`,
    experiment_id: experiment,
    decision: kind,
    reason: `the analysis says ${kind}`,
    evidence: { p_value: 0.01 },
    decided_at: 1_795_000_000_000,
  };
}
