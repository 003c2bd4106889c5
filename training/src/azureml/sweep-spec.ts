import type {
  EarlyTerminationPolicyUnion,
  Objective,
  SamplingAlgorithmUnion,
  SweepJobLimits,
} from "@azure/arm-machinelearning";
import { OptionError } from "../errors.js";
import type { SweepDefinition } from "../sweep/run.js";
import { checkSpace, type ParameterExpression, type SearchSpace } from "../sweep/space.js";
import { checkPolicy, type TerminationPolicy } from "../sweep/termination.js";

/** The metric every trial logs (validation accuracy after each interval of trees) and the sweep maximises. */
export const SWEEP_PRIMARY_METRIC = "validation_accuracy";

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
 * so a definition means the same in both places: sampling, search space expressions, objective
 * (maximise validation accuracy), limits and the early-termination policy.
 */
export function toAzureSweepSettings(definition: SweepDefinition): AzureSweepSettings {
  checkSpace(definition.space);
  if (definition.policy) checkPolicy(definition.policy);
  const limits: SweepJobLimits = {
    jobLimitsType: "Sweep",
    maxTotalTrials: definition.maxTrials,
    maxConcurrentTrials: definition.maxConcurrent ?? 1,
  };
  if (definition.timeoutMs !== undefined) limits.timeout = isoSeconds(definition.timeoutMs);
  return {
    samplingAlgorithm: samplingOf(definition.sampling),
    searchSpace: searchSpaceOf(definition.space),
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

function searchSpaceOf(space: SearchSpace): Record<string, unknown> {
  return Object.fromEntries(Object.entries(space).map(([name, e]) => [name, expressionOf(e)]));
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
