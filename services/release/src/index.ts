/**
 * `@mlops/release`: releases as Pulumi stack-config changes. An A/B decision or a new challenger
 * build becomes the exact serving-block values to set (`plan.ts`), written with the Pulumi CLI
 * (`pulumi.ts`) into the stack file read by `stack-config.ts`; the stack's experiment is defined
 * in the store (`experiment.ts`); `smoke.ts` checks a deployed API (`smoke-garch.ts` the GARCH
 * service); `loadtest.ts` loads one; `cost.ts` prices a stack. `registerReleaseCommands` and
 * `registerSmokeCommand` add `mlops release …` and `mlops smoke` to the `mlops` program.
 */
export type { ReleaseCommandContext } from "./cli/context.js";
export { secondsFlag } from "./cli/flags.js";
export { DEFAULT_STACK_CONFIG, registerReleaseCommands } from "./cli/release.js";
export { credentialsFromEnv, registerSmokeCommand } from "./cli/smoke.js";
export {
  type CostAssumptions,
  type CostEstimate,
  type CostInputs,
  type CostRow,
  DEFAULT_ASSUMPTIONS,
  estimateCost,
  formatCostEstimate,
} from "./cost/estimate.js";
export { CostFlagsSchema, costOptions } from "./cost/flags.js";
export { PRICE_TABLE, type Price, type PriceTable } from "./cost/prices.js";
export { readCostInputs } from "./cost/stack-inputs.js";
export { ensureStackExperiment, experimentFor, PIPELINE_EXPERIMENT_POLICY } from "./experiment.js";
export { LatencyHistogram } from "./latency-histogram.js";
export {
  formatLoadReport,
  type LoadProgress,
  type LoadReport,
  type LoadRequest,
  LoadTestFlagsSchema,
  type LoadTestOptions,
  loadTestOptions,
  requestsFor,
  runLoadTest,
} from "./loadtest.js";
// Planning is public as a whole: the pipeline and the CLI use every part of it.
export * from "./plan.js";
export { applyChanges } from "./pulumi.js";
export {
  credentialHeaders,
  DEFAULT_CANARY_HEADER,
  formatSmokeReport,
  runSmoke,
  type SmokeCheck,
  type SmokeOptions,
  type SmokeReport,
  smokeReturns,
} from "./smoke.js";
export { runGarchSmoke } from "./smoke-garch.js";
export { readStackTarget, type StackTarget } from "./stack-config.js";
