/**
 * `@mlops/contracts`: what two packages must agree on, defined once — API bodies, records, the
 * model manifest, the serving config (parser and renderer), the stack config (the Pulumi
 * program's whole schema, which releases check stack files with), the autoscaling defaults, the
 * Cosmos layout and metric names.
 */
export * from "./api.js";
export * from "./assignment.js";
export * from "./cosmos-layout.js";
export * from "./each-limited.js";
export * from "./edge.js";
export * from "./edge-config.js";
export type { EnvRecord } from "./env.js";
export * from "./errors.js";
export * from "./estate-config.js";
export * from "./experiments.js";
export * from "./fetch-json.js";
export * from "./garch-service.js";
export * from "./log-records.js";
export * from "./metrics.js";
export * from "./model-ref.js";
export * from "./platform-env.js";
export * from "./predictions.js";
export * from "./primitives.js";
export * from "./registry.js";
export * from "./scaling.js";
export * from "./service-url.js";
export * from "./serving-config.js";
export * from "./stack-access.js";
export * from "./stack-config.js";
export * from "./stack-file.js";
export * from "./stack-network.js";
export * from "./stack-parse.js";
export * from "./stack-schema.js";
export * from "./stack-serving.js";
export * from "./store-config.js";
