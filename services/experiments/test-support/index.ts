/**
 * Test support of `@mlops/experiments`, exported as `@mlops/experiments/test-support` for the
 * CLI tests in `training` too. Never part of a build (production code ships `src/` only).
 */
export * from "./iris.js";
export * from "./seed-traffic.js";
