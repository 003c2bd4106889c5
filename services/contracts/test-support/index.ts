/**
 * Test support shared by suites (and benchmarks) in several packages, for loopback servers; never
 * part of a production build. Free of vitest, so scripts that run outside it can use it too; what
 * registers vitest hooks (shared values, scratch directories) is the subpath `./test-support/hooks`.
 */
export { freePort } from "./free-port.js";
export { type LoopbackCertificate, loopbackCertificate } from "./loopback-tls.js";
