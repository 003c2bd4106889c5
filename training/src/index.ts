export {
  type AlgorithmParams,
  type ArtifactIdentity,
  classifierManifest,
  forestParamsRecord,
  gbdtParamsRecord,
  metricsRecord,
  modelParamsRecord,
  writeModelArtifact,
} from "./artifact.js";
export { type AzureMlTarget, azureMlTargetFromEnv, sweepJob } from "./azureml/jobs.js";
export {
  logSampledParameters,
  SWEEP_LOSS_METRIC,
  SWEEP_PRIMARY_METRIC,
  toAzureSweepSettings,
} from "./azureml/sweep-spec.js";
export {
  type ClusterTrainInput,
  forestMergeJob,
  forestShareJob,
  trainCommandJob,
} from "./azureml/train-job.js";
export { type ModelCardInput, renderModelCard } from "./card.js";
export { type CsvRecord, parseCsv } from "./csv.js";
export {
  type Dataset,
  type DatasetOptions,
  type DatasetSplit,
  loadDataset,
  MIN_ROWS_PER_CLASS,
  parseDataset,
  selectRows,
  stratifiedSplit,
  takeRows,
} from "./dataset.js";
export { DatasetError, Interrupted, OptionError } from "./errors.js";
export {
  type FitOptions,
  type FitResult,
  fitForest,
  type LabeledRows,
  type TrainingData,
  type TrainingProgress,
} from "./forest/fit.js";
export { mergeForests } from "./forest/merge.js";
export type { ForestOptions, ForestParams, MaxFeatures } from "./forest/options.js";
export { createTrainingPool, type TrainingPool } from "./forest/pool.js";
export { type GarchCardInput, renderGarchCard } from "./garch-card.js";
export {
  type BoostingProgress,
  fitGbdt,
  type GbdtFitOptions,
  type GbdtFitResult,
} from "./gbdt/fit.js";
export {
  GBDT_OPTION_NAMES,
  type GbdtOptions,
  type GbdtParams,
  type Growth,
  resolveGbdtOptions,
} from "./gbdt/options.js";
export { interruptible } from "./interrupt.js";
export {
  DEMO_DATA,
  type DemoJobInput,
  type DemoJobOutput,
  type DemoModel,
  runDemoJob,
  runGarchDemoJob,
} from "./jobs/demo.js";
export {
  mergeShareFiles,
  type NodeRank,
  nodeRankFromEnv,
  runShareJob,
  shareRange,
} from "./jobs/distributed.js";
export { type GarchJobInput, type GarchJobOutput, runGarchJob } from "./jobs/garch.js";
export {
  type PromoteJobInput,
  type PromoteJobOutput,
  type RegisterJobInput,
  type RegisterJobOutput,
  runPromoteJob,
  runRegisterJob,
} from "./jobs/registry.js";
export {
  type JobProgress,
  type ModelSpec,
  runTrainJob,
  type TrainJobInput,
  type TrainJobOutput,
} from "./jobs/train.js";
export {
  accuracy,
  balancedAccuracy,
  brierScore,
  type ClassificationMetrics,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  precisionRecallF1,
  rocAuc,
} from "./metrics.js";
export { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "./sweep/gbdt-space.js";
export {
  checkDefinition,
  runSweep,
  type SweepDefinition,
  type SweepResult,
  type SweepRunOptions,
  sweepSettings,
  type TrialResult,
  type TrialStatus,
} from "./sweep/run.js";
export {
  type Assignment,
  checkSpace,
  gridAssignments,
  type ParameterExpression,
  type ParameterValue,
  randomAssignment,
  type SearchSpace,
} from "./sweep/space.js";
export {
  checkPolicy,
  decide,
  type Goal,
  isEvaluatedAt,
  type PolicySchedule,
  type TerminationDecision,
  type TerminationPolicy,
  type TrialHistory,
} from "./sweep/termination.js";
export {
  checkBayesianSpace,
  type Observation,
  type TpeOptions,
  tpeAssignment,
} from "./sweep/tpe.js";
export { checkTrainerSpace } from "./sweep/trainer-space.js";
export {
  DEFAULT_REPORT_EVERY,
  SWEEP_ALGORITHMS,
  type SweepAlgorithm,
  type TrialReport,
} from "./sweep/trainers.js";
export { azureMlTrackingUrl } from "./tracking/azureml.js";
export type { RegistryMirror } from "./tracking/mlflow-registry.js";
export { selectTracking, type Tracking } from "./tracking/select.js";
export {
  evaluateFit,
  type FittedModel,
  type ForestOutcome,
  type GbdtOutcome,
  type TrainOutcome,
  trainAndEvaluate,
  trainAndEvaluateGbdt,
} from "./train.js";
