/**
 * @mlops/experiments: A/B statistics (streaming sufficient statistics, fixed-horizon and
 * sequential tests, sample ratio mismatch, power, multiple testing) and promotion decisions.
 */

export {
  type Analysis,
  type AnalyzeOptions,
  analyzeExperiment,
  concludingDecision,
  type PeriodRead,
  readCurrentPeriod,
} from "./analyze.js";
export { type AppliedDecision, type ApplyOptions, applyDecision } from "./apply.js";
export { type ArmModel, armModels } from "./arm-models.js";
export type { AssignmentPeriod } from "./assignment-report.js";
export { clusteredSummary, type UnitSums, unitSumsOf } from "./clustered.js";
export {
  type DecisionInput,
  type DecisionResult,
  decide,
  type PeriodRef,
  PRIMARY_METRIC_DIRECTION,
  type PrimaryEvidence,
  type SplitCheck,
} from "./decide.js";
export type { DecisionPolicy } from "./decision-policy.js";
export {
  PERIOD_KEY,
  PRIMARY_P_VALUE_KEY,
  PRIMARY_SETTLED_SIGN_KEY,
  type PreviousLooks,
  previousLooksOf,
  toDecisionRecord,
} from "./decision-record.js";
export { type ExperimentsErrorCode, ExperimentsInputError } from "./errors.js";
export type { GuardrailEvidence } from "./guardrails.js";
export { type LiftChartOptions, liftChartSvg } from "./lift-chart.js";
export { type LiftHistoryOptions, liftDesignEffects, readLiftPath } from "./lift-history.js";
export {
  type LiftPathOptions,
  type LiftPoint,
  liftPath,
  MAX_LIFT_POINTS,
  type TimedValue,
} from "./lift-path.js";
export {
  bernoulliMoments,
  EMPTY_MOMENTS,
  MomentAccumulator,
  type Moments,
  mergeMoments,
  momentsFromSums,
  momentsOf,
  summarize,
} from "./moments.js";
export { benjaminiHochbergAdjust, holmAdjust } from "./multiple.js";
export {
  type Plan,
  type PlanInput,
  type PlanMetric,
  type PlanSize,
  planExperiment,
  type ReachableMde,
  reachableMde,
} from "./plan.js";
export {
  mdeMeans,
  mdeProportions,
  type PowerOptions,
  powerProportions,
  type SampleSize,
  sampleSizeMeans,
  sampleSizeProportions,
} from "./power.js";
export { type ReportOptions, renderLiftChart, renderReport } from "./report.js";
export {
  DEFAULT_STANDARDIZED_TAU,
  type DifferenceEstimate,
  msprt,
  msprtMeans,
  msprtPath,
  msprtProportions,
  type SequentialOptions,
  type SequentialResult,
} from "./sequential.js";
export {
  DEFAULT_SRM_THRESHOLD,
  MAX_SRM_ARMS,
  type SrmOptions,
  type SrmResult,
  srmTest,
} from "./srm.js";
export {
  type ArmTraffic,
  MAX_SIMULATED_CONCURRENCY,
  MAX_SIMULATED_REQUESTS,
  simulateTraffic,
  TrafficError,
  type TrafficOptions,
  type TrafficSummary,
} from "./traffic-simulator.js";
export {
  type IntervalOptions,
  type LiftResult,
  type ProportionTestResult,
  relativeLift,
  twoProportionZTest,
  type WelchResult,
  welchTTest,
  welchTTestFromSummary,
} from "./two-sample.js";
export type { ProportionCounts, SampleSummary } from "./types.js";
export {
  mergeVariantMetrics,
  metricMoments,
  type OutcomeContribution,
  type VariantMetrics,
  VariantMetricsAccumulator,
  variantMetricsFromAggregate,
} from "./variant-metrics.js";
