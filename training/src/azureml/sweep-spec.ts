import type {
  EarlyTerminationPolicyUnion,
  Objective,
  SamplingAlgorithmUnion,
  SweepJobLimits,
} from "@azure/arm-machinelearning";
/**
 * The Azure ML sweep job settings for a sweep definition. Sources for every rule and field:
 * learn.microsoft.com/azure/machine-learning/how-to-tune-hyperparameters (SDK/CLI v2: sampling
 * algorithms and the expressions each accepts, objective, early-termination policies, limits),
 * learn.microsoft.com/azure/machine-learning/reference-yaml-job-sweep (the job's fields),
 * the azureml-train-core `parameter_expressions` reference (loguniform = exp(uniform(min, max)))
 * and `BanditPolicy` reference (each logged value of the primary metric is one interval;
 * evaluation at every multiple of `evaluation_interval` from `delay_evaluation` on), the
 * azuremlsdk `bayesian_parameter_sampling` reference (Bayesian sampling: choice, uniform and
 * quniform only, no early-termination policy), and `@azure/arm-machinelearning`'s
 * `SweepJobLimits` (ISO-8601 `timeout`).
 */
import { OptionError } from "../errors.js";
import { checkDefinition, type SweepDefinition } from "../sweep/run.js";
import type { ParameterExpression, SearchSpace } from "../sweep/space.js";
import type { TerminationPolicy } from "../sweep/termination.js";

/**
 * The metric every trial logs (validation accuracy after each interval of trees or boosting
 * rounds) and the sweep maximises.
 */
export const SWEEP_PRIMARY_METRIC = "validation_accuracy";

/** A secondary metric gbdt trials log at the same steps (mean validation log loss). */
export const SWEEP_LOSS_METRIC = "validation_loss";

/** Azure ML's bounds on `max_total_trials` and `max_concurrent_trials` (how-to-tune-hyperparameters). */
export const AZURE_MAX_TRIALS = 1000;

/** The parts of an Azure ML sweep job that a sweep definition decides. */
export interface AzureSweepSettings {
  readonly samplingAlgorithm: SamplingAlgorithmUnion;
  readonly searchSpace: Record<string, unknown>;
  readonly objective: Objective;
  readonly limits: SweepJobLimits;
  readonly earlyTermination?: EarlyTerminationPolicyUnion;
}

/**
 * The Azure ML sweep job settings (REST shapes) for the same definition the local runner takes,
 * checked by the same rules, so a definition means the same in both places: sampling, search
 * space expressions, objective (maximise validation accuracy), limits and the early-termination
 * policy.
 */
export function toAzureSweepSettings(definition: SweepDefinition): AzureSweepSettings {
  checkDefinition(definition);
  for (const [name, value] of [
    ["maxTrials", definition.maxTrials],
    ["maxConcurrent", definition.maxConcurrent ?? 1],
  ] as const) {
    if (value > AZURE_MAX_TRIALS) {
      throw new OptionError(
        name,
        `must be at most ${AZURE_MAX_TRIALS} for an Azure ML sweep job`,
        value,
      );
    }
  }
  const limits: SweepJobLimits = {
    jobLimitsType: "Sweep",
    maxTotalTrials: definition.maxTrials,
    maxConcurrentTrials: definition.maxConcurrent ?? 1,
  };
  if (definition.timeoutMs !== undefined) limits.timeout = isoSeconds(definition.timeoutMs);
  return {
    samplingAlgorithm: samplingOf(definition.sampling),
    searchSpace: searchSpaceOf(definition),
    objective: { goal: "Maximize", primaryMetric: SWEEP_PRIMARY_METRIC },
    limits,
    ...(definition.policy ? { earlyTermination: policyOf(definition.policy) } : {}),
  };
}

function samplingOf(sampling: SweepDefinition["sampling"]): SamplingAlgorithmUnion {
  switch (sampling.kind) {
    case "grid":
      return { samplingAlgorithmType: "Grid" };
    case "random":
      return { samplingAlgorithmType: "Random", seed: sampling.seed ?? 42 };
    case "bayesian":
      // Azure ML's Bayesian sampling takes no seed: its proposals are its own.
      return { samplingAlgorithmType: "Bayesian" };
  }
}

/** Azure ML's REST form of a parameter expression: `[type, [arguments]]`. */
export function expressionOf(e: ParameterExpression): unknown {
  switch (e.type) {
    case "choice":
      return ["choice", [[...e.values]]];
    case "uniform":
    case "loguniform":
      return [e.type, [e.min, e.max]];
    case "quniform":
      return ["quniform", [e.min, e.max, e.q]];
    case "randint":
      return ["randint", [e.upper]];
  }
}

/**
 * Parameters the sweep job samples by their natural logarithm: Azure ML's Bayesian sampling takes
 * no `loguniform`, so a log-uniform parameter goes to it as `uniform` over the same bounds (which
 * loguniform already states as logs) and the trial takes exp of the value: the same distribution
 * (`mlops sweep-trial --log-param`).
 */
export function logSampledParameters(definition: SweepDefinition): string[] {
  if (definition.sampling.kind !== "bayesian") return [];
  return Object.entries(definition.space)
    .filter(([, e]) => e.type === "loguniform")
    .map(([name]) => name);
}

function searchSpaceOf(definition: SweepDefinition): Record<string, unknown> {
  const logs = new Set(logSampledParameters(definition));
  const space: SearchSpace = definition.space;
  return Object.fromEntries(
    Object.entries(space).map(([name, e]) => [
      name,
      logs.has(name) && e.type === "loguniform"
        ? expressionOf({ type: "uniform", min: e.min, max: e.max })
        : expressionOf(e),
    ]),
  );
}

function policyOf(policy: TerminationPolicy): EarlyTerminationPolicyUnion {
  const schedule = {
    evaluationInterval: policy.evaluationInterval ?? 1,
    delayEvaluation: policy.delayEvaluation ?? 0,
  };
  switch (policy.kind) {
    case "bandit":
      return {
        policyType: "Bandit",
        ...schedule,
        ...(policy.slackFactor !== undefined ? { slackFactor: policy.slackFactor } : {}),
        ...(policy.slackAmount !== undefined ? { slackAmount: policy.slackAmount } : {}),
      };
    case "median":
      return { policyType: "MedianStopping", ...schedule };
    case "truncation":
      if (policy.excludeFinishedJobs) {
        // Not in the API version the SDK speaks: refuse rather than submit a different policy.
        throw new OptionError(
          "policy.excludeFinishedJobs",
          "is not supported by Azure ML sweep jobs",
          true,
        );
      }
      return {
        policyType: "TruncationSelection",
        ...schedule,
        truncationPercentage: policy.truncationPercentage,
      };
  }
}

/** An ISO-8601 duration in whole seconds (rounded up), as Azure ML's limits take. */
function isoSeconds(ms: number): string {
  return `PT${Math.ceil(ms / 1000)}S`;
}
