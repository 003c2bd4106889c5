/**
 * `@mlops/models`: what a served model is. The artifact (model file, manifest, model card,
 * SHA-256) is written by training and read by serving through this package; the random forest's
 * and the boosted trees' file formats and packed predictors, and a fitted GARCH model's file,
 * live here too.
 */
// The artifact module and the errors are public as a whole; the others export a chosen part.
export * from "./artifact.js";
export {
  type ClassifierPredictor,
  type LoadedClassifier,
  loadClassifierModel,
} from "./classifier.js";
export * from "./errors.js";
export {
  type CartOptionsJSON,
  type CartTreeJSON,
  type ForestGrowth,
  forestToJSON,
  type RandomForestJSON,
} from "./forest/format.js";
export { forestModelFile, type LoadedForest, loadForest } from "./forest/load.js";
export { ForestPredictor, VoteTally } from "./forest/predictor.js";
export {
  type CartLeafJSON,
  type CartNodeJSON,
  type CartSplitJSON,
  emptyTree,
  type FlatTree,
  firstArgmax,
} from "./forest/tree.js";
export { garchModelFile, loadGarch } from "./garch.js";
export { scoreClass, scoreProbabilities } from "./gbdt/link.js";
export { gbdtModelFile } from "./gbdt/load.js";
export {
  GBDT_FORMAT_VERSION,
  GBDT_MODEL_KIND,
  type GbdtModelJSON,
  type GbdtObjective,
  type GbdtTreeJSON,
  parseGbdtModel,
} from "./gbdt/model.js";
export { BoostedTreesPredictor, PackedBoostedTrees } from "./gbdt/packed.js";
