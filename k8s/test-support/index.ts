/**
 * Test support of `@mlops/k8s`, exported as `@mlops/k8s/test-support` for the
 * infra tests too: the Pulumi mocks harness and the Kubernetes object
 * validators. Never part of a build (`tsconfig.build.json` compiles `src/` only).
 */
export * from "./k8s-validate.js";
export * from "./pulumi-mocks.js";
