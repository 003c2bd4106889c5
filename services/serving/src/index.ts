/**
 * `@mlops/serving`: the prediction API. `createApp` builds it on a store and loaded models
 * (tests inject into it); `runServer` is the process (`src/server.ts`); `bootstrap` registers
 * the demo models `pnpm start` serves.
 */
export { type AppDeps, createApp } from "./app.js";
export { assignVariant, bucketOf, type Variant } from "./assignment.js";
export {
  BatchingWriter,
  type BatchingWriterOptions,
  type BatchingWriterStats,
} from "./batching-writer.js";
export { type BootstrapOptions, bootstrap, DEMO_DATA, DEMO_MODELS } from "./bootstrap.js";
export { SERVING_ERRORS, ServingError, type ServingErrorCode } from "./errors.js";
export {
  artifactPath,
  type LoadedArtifact,
  readArtifact,
  writeArtifact,
} from "./models/artifacts.js";
export { loadServedModels, type ServedModels } from "./models/served.js";
export { API_KEY_HEADER } from "./plugins/security.js";
export { CANARY_COOKIE } from "./routes/predict.js";
export { configOrExit, runServer } from "./server.js";
