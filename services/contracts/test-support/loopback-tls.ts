import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Where {@link loopbackCertificate} wrote the PEM files. */
export interface LoopbackCertificate {
  keyFile: string;
  certFile: string;
}

/**
 * Writes a self-signed certificate for 127.0.0.1 (`key.pem`, `cert.pem` in `dir`), valid one day,
 * with the address as its subject alternative name: Node's TLS client checks the SAN, not the CN,
 * so a loopback HTTPS server presenting it is trusted once the certificate is given as its CA
 * (`ca:` or `NODE_EXTRA_CA_CERTS`). Needs `openssl` on PATH.
 */
export function loopbackCertificate(dir: string): LoopbackCertificate {
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { keyFile, certFile };
}
