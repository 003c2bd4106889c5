/** Test support shared by suites in several packages; never part of a production build. */
export { type LoopbackCertificate, loopbackCertificate } from "./loopback-tls.js";
