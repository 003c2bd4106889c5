/**
 * The Application Insights scenario, run by `telemetry.test.ts` inside a network namespace with
 * only loopback: a local HTTPS collector, `pnpm start`'s entry point with a connection string
 * pointing at it and every `connect()` traced by strace, twelve predictions, a graceful stop
 * (without `entra`, 16 s after the server is ready: past the exporter's control-plane poll).
 * Prints one JSON line: the server's exit code, the envelopes received, and any connection
 * attempt to a non-loopback address. With `entra`, the server sends with an Entra token
 * (`MLOPS_TELEMETRY_AUTH=entra`) of a managed identity the collector serves, and the collector
 * refuses anything else, like a component with local auth off; the line then also lists the
 * Authorization headers the collector saw.
 *
 *   tsx telemetry-scenario.ts WORKDIR [entra]
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loopbackCertificate } from "@mlops/contracts/test-support";
import { START } from "./process.js";

const dir = process.argv[2];
const entra = process.argv[3] === "entra";
/** The header the identity endpoint requires (App Service's `IDENTITY_HEADER`). */
const identityHeader = "mlops-telemetry-test";
const require = createRequire(import.meta.url);
// Both processes run with tsx as a loader (its CLI would add a parent process), so the server
// is strace's only direct child: that is the process to signal (a signal to strace would
// detach it and leave the server running).
const tsxLoader = pathToFileURL(require.resolve("tsx/esm")).href;
const { certFile: cert, keyFile: key } = loopbackCertificate(dir);
const received = join(dir, "envelopes.jsonl");
const trace = join(dir, "connect.trace");

/** Processes to kill if the scenario ends early (a failure, or the test's timeout). */
const cleanup = new Set<number>();
process.on("exit", () => {
  for (const pid of cleanup) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});
process.on("SIGTERM", () => process.exit(1));

/** Spawns a process and resolves when its stdout matches `ready`. */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(command, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  cleanup.add(child.pid!);
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m);
    });
    exited.then((code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${err}`)));
  });
  return { child, exited, matched };
}

const collector = launch(
  process.execPath,
  [
    "--import",
    tsxLoader,
    fileURLToPath(new URL("./collector.ts", import.meta.url)),
    cert,
    key,
    received,
    ...(entra ? [identityHeader] : []),
  ],
  { PATH: process.env.PATH },
  /listening (\d+)/,
);
const port = Number((await collector.matched)[1]);

const server = launch(
  "strace",
  // --seccomp-bpf stops the tracee on connect() only, not on every system call (training
  // threads make millions), so tracing costs next to nothing.
  [
    "-f",
    "-qq",
    "--seccomp-bpf",
    "-e",
    "trace=connect",
    "-o",
    trace,
    process.execPath,
    "--import",
    tsxLoader,
    START,
  ],
  {
    PATH: process.env.PATH,
    HOST: "127.0.0.1",
    PORT: "18090",
    LOG_LEVEL: "warn",
    APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    MLOPS_TELEMETRY_SAMPLING: "1",
    NODE_EXTRA_CA_CERTS: cert,
    // Without these the SDK asks the Azure instance-metadata address and sends statsbeat.
    APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED: "true",
    CLUSTER_RESOURCE_ID:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
    ...(entra && {
      MLOPS_TELEMETRY_AUTH: "entra",
      IDENTITY_ENDPOINT: `https://127.0.0.1:${port}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    }),
  },
  /serving split/,
);
await server.matched;
const ready = Date.now();
const tracee = Number(
  readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, "utf8").split(" ")[0],
);
cleanup.add(tracee);
for (let i = 0; i < 12; i++) {
  const res = await fetch("http://127.0.0.1:18090/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ features: [0.5, -1.2, 0.3, 1.1, -0.4], user_id: `u${i}` }),
  });
  await res.arrayBuffer();
}
// The exporter's control-plane poll (OneSettings) would come 5-15 s after it started, before
// the server was ready: the plain run stays up past that, so a poll would be in the trace.
if (!entra) await new Promise((r) => setTimeout(r, Math.max(0, ready + 16_000 - Date.now())));
process.kill(tracee, "SIGTERM");
const exitCode = await server.exited;
collector.child.kill("SIGTERM");
await collector.exited;
cleanup.clear();

const envelopes = existsSync(received)
  ? readFileSync(received, "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            data?: { baseType?: string; baseData?: { url?: string; name?: string } };
          },
      )
  : [];
// Every connect() the server's processes made: loopback, Unix sockets, or something else.
const nonLoopback = readFileSync(trace, "utf8")
  .split("\n")
  .filter((l) => /connect\(/.test(l) && /sa_family=AF_INET6?/.test(l))
  .filter((l) => !/inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "::1"/.test(l));
process.stdout.write(
  `${JSON.stringify({
    exitCode,
    requests: envelopes
      .filter((e) => e.data?.baseType === "RequestData")
      .map((e) => e.data?.baseData?.url ?? e.data?.baseData?.name ?? ""),
    baseTypes: [...new Set(envelopes.map((e) => e.data?.baseType))],
    nonLoopback,
    authorizations: existsSync(`${received}.auth`)
      ? [...new Set(readFileSync(`${received}.auth`, "utf8").trim().split("\n"))]
      : [],
  })}\n`,
);
