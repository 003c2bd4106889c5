/**
 * Test support of `@mlops/infra`, exported as `@mlops/infra/test-support` for the cross-package
 * suites: the whole program under the workspace's mocks harness, and stack files as Pulumi hands
 * them to the program. Never part of a build (`tsconfig.build.json` compiles `src/` and
 * `policy/` only).
 */
export * from "./azure-mocks.js";
export * from "./graph.js";
export * from "./program.js";
export * from "./stack-config.js";
