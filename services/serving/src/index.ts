/**
 * `@mlops/serving`: the prediction API. `createApp` builds it on a store and loaded models
 * (tests inject into it); `serve` is the process (`src/server.ts`, also the subpath
 * `@mlops/serving/server`, which entry points import so that the app loads after telemetry;
 * `src/main.ts` is the image's entry), `runServer` one serving process of it. It serves what the
 * registry holds and registers nothing.
 */
export { type AppDeps, createApp } from "./app.js";
export { assignVariant, bucketOf, type Variant } from "./assignment.js";
export {
  BatchingWriter,
  type BatchingWriterOptions,
  type BatchingWriterStats,
} from "./batching-writer.js";
export { SERVING_ERRORS, ServingError, type ServingErrorCode } from "./errors.js";
export { loadServedModels, type ServedModels } from "./models/served.js";
export { API_KEY_HEADER } from "./plugins/security.js";
export { CANARY_COOKIE } from "./routes/predict.js";
export { runServer } from "./run-server.js";
export { configOrExit, exitOnFailure, serve } from "./server.js";
