/**
 * The two commands the pipeline adds, run as the workflow runs them (`mlops` as a process) against
 * real things on loopback: `mlops smoke` against the prediction API started from its entry points
 * on a temporary SQLite store, and `mlops release plan` on the real `Pulumi.prod.yaml` with
 * decision fixtures.
 *
 * ingress-nginx cannot run here, so the canary Ingress's header routing is reproduced by a small
 * loopback router in front of two single-variant API processes, as on AKS; it takes the header
 * name from the k8s components' own annotations, so smoke's default header drifting from what the
 * Ingress renders fails this test.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisionSchema } from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { canaryAnnotations } from "@mlops/k8s";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { START, type Started, start, startArms } from "../platform/process.js";
import { forward, mlops, ROOT } from "./support.js";

// The image's process entry, compiled (the tests' global set-up builds), as the image runs it.
const SERVER = join(ROOT, "services", "serving", "dist", "main.js");
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** ingress-nginx's canary-by-header, as the k8s components configure it. */
const CANARY_HEADER = canaryAnnotations({ canaryWeight: 0 })[
  "nginx.ingress.kubernetes.io/canary-by-header"
]!;

/** The trust token the arms accept the canary header with (a `canary-token-*` secret). */
const CANARY_TOKEN = "pipeline-canary-token";

let dir: string;
const running: Started[] = [];
/** Loopback servers of the tests, with a way to drop their connections so close() returns. */
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-pipeline-"));
});
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL");
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** Listens on a free loopback port and returns the base URL. */
async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The canary Ingress's routing: header `always` → the canary (challenger) backend, anything else
 * (including `never`) → the stable (champion) one, since the canary weight here is 0.
 */
function canaryRouter(stable: string, canary: string): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(
      req.url ?? "/",
      req.headers[CANARY_HEADER.toLowerCase()] === "always" ? canary : stable,
    );
    forward(req, res, target);
  });
}

describe("mlops smoke", () => {
  it("passes against one process serving both arms, and fails its routing checks there", async () => {
    // 1. `pnpm start`'s entry point: registers the demo models, serves both arms in split mode.
    // All users on the champion, so only the canary header could reach the challenger.
    const api = await start(START, dir, { MLOPS_CHALLENGER_WEIGHT: "0" });
    running.push(api);

    // 2. Without routing checks: every check passes, the GARCH one on the served fit.
    const ok = await mlops(["smoke", "--url", api.url, "--no-routing", "--json"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual([
      "health/live",
      "health/ready",
      "models",
      "predict",
      "garch/forecast",
    ]);

    // 3. With them: a split-mode process ignores the canary header, so `always` does not reach
    //    the challenger; the command says so in its table and exits 1.
    const routed = await mlops(["smoke", "--url", api.url]);
    expect(routed.code).toBe(1);
    expect(routed.stdout).toMatch(
      new RegExp(`route ${CANARY_HEADER}: always +FAIL +200 .*expected challenger`),
    );
    expect(routed.stdout).toMatch(/smoke FAILED: 6\/7 checks ok/);
    expect(routed.stderr).toContain(`smoke failed: route ${CANARY_HEADER}: always`);
    expect(await api.stop("SIGTERM")).toBe(0);
  });

  it("passes through a canary router to one process per arm, as on AKS", async () => {
    // 1. One single-variant process per arm on the registry step 1 of the last test filled; as
    //    on AKS, an arm takes the canary header only with the token mounted from Key Vault.
    const secrets = join(dir, "secrets");
    await mkdir(secrets, { recursive: true });
    await writeFile(join(secrets, "canary-token-1"), CANARY_TOKEN);
    const { champion, challenger } = await startArms(
      SERVER,
      dir,
      { MLOPS_AUTH: "none", MLOPS_SECRETS_DIR: secrets, LOG_LEVEL: "info" },
      running,
    );

    // 2. The router in front, as the Ingress host.
    const router = canaryRouter(champion.url, challenger.url);
    servers.push({
      close: () =>
        new Promise((resolve) => {
          router.close(() => resolve());
          router.closeAllConnections();
        }),
    });
    const url = await listen(router);

    // 3. Smoke with its defaults: header routing reaches each arm; with no GARCH model served,
    //    it fits and forecasts its own returns.
    const out = await mlops(["smoke", "--url", url], { MLOPS_SMOKE_CANARY_TOKEN: CANARY_TOKEN });
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`route ${CANARY_HEADER}: always +ok +200 .*challenger classifier@2`),
    );
    expect(out.stdout).toMatch(
      new RegExp(`route ${CANARY_HEADER}: never +ok +200 .*champion classifier@1`),
    );
    expect(out.stdout).toMatch(/garch\/fit-forecast +ok +200 .*fitted GARCH\(1,1\): 5-step/);
    expect(out.stdout).toMatch(/smoke passed: 7\/7 checks ok/);
  });

  it("bounds every request: an API that never answers fails fast, check by check", async () => {
    const sockets = new Set<Socket>();
    // Accepts connections and never answers.
    const hung = createTcpServer((socket) => sockets.add(socket));
    servers.push({
      close: () =>
        new Promise((resolve) => {
          hung.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    });
    const url = await listen(hung);
    const started = Date.now();
    const out = await mlops(["smoke", "--url", url, "--timeout", "0.3", "--json"]);
    expect(out.code).toBe(1);
    const report = JSON.parse(out.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.every((c: { ok: boolean }) => !c.ok)).toBe(true);
    expect(report.checks[0].detail).toBe("no answer within 300 ms");
    expect(report.checks.find((c: { name: string }) => c.name === "garch/forecast").detail).toMatch(
      /GET \/models failed/,
    );
    // Six timed-out requests, plus the CLI's start-up: nowhere near a hung job.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("names the reason when nothing listens", async () => {
    const out = await mlops(["smoke", "--url", `http://127.0.0.1:${await freePort()}`, "--json"]);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).checks[0].detail).toMatch(/ECONNREFUSED/);
  });

  it("rejects a URL that is not http(s)", async () => {
    const out = await mlops(["smoke", "--url", "ftp://127.0.0.1/"]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/--url must be http or https/);
    // Credentials in the URL: fetch would refuse every check, printing the password each time.
    const credentials = await mlops(["smoke", "--url", "http://u:secret@127.0.0.1:9/"]);
    expect(credentials.code).not.toBe(0);
    expect(credentials.stderr).toMatch(/--url must not hold a user name or password/);
  });
});

describe("mlops release plan on the prod stack", () => {
  const plan = (fixture: string, ...flags: string[]) =>
    mlops([
      "release",
      "plan",
      "--decision",
      join(FIXTURES, fixture),
      "--stack-config",
      "Pulumi.prod.yaml",
      ...flags,
    ]);

  it("the fixtures are decision records by the contracts schema", async () => {
    for (const name of [
      "decision-promote.json",
      "decision-rollback.json",
      "decision-invalid.json",
    ]) {
      const record = JSON.parse(await readFile(join(FIXTURES, name), "utf8"));
      expect(DecisionSchema.safeParse(record).success, name).toBe(true);
    }
  });

  it("promote: the challenger's image and model become the champion's, the canary closes", async () => {
    const out = await plan("decision-promote.json");
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split("\n").slice(1, 5)).toEqual([
      "stack prod (Pulumi.prod.yaml): 3 config changes",
      "  mlops-platform:serving.championImageTag  1.4.2 -> 1.5.0-rc.1",
      "  mlops-platform:serving.championModel     classifier@12 -> classifier@13",
      "  mlops-platform:serving.canaryWeight      10 -> 0",
    ]);
  });

  it("rollback: the canary closes and the challenger returns to the champion's build", async () => {
    const out = await plan("decision-rollback.json", "--json");
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).changes).toEqual([
      { key: "mlops-platform:serving.canaryWeight", field: "canaryWeight", from: 10, to: 0 },
      {
        key: "mlops-platform:serving.challengerImageTag",
        field: "challengerImageTag",
        from: "1.5.0-rc.1",
        to: "1.4.2",
      },
      {
        key: "mlops-platform:serving.challengerModel",
        field: "challengerModel",
        from: "classifier@13",
        to: "classifier@12",
      },
    ]);
  });

  it("invalid: nothing changes and the command exits 1", async () => {
    const out = await plan("decision-invalid.json");
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/no config changes/);
    expect(out.stderr).toMatch(/decision invalid: sample ratio mismatch/);
  });

  it("--apply without the Pulumi CLI on PATH fails, naming what is missing", async () => {
    const out = await mlops(
      ["release", "plan", "--decision", join(FIXTURES, "decision-promote.json"), "--apply"],
      { PATH: dir },
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--apply needs the Pulumi CLI, and `pulumi` is not on PATH/);
  });
});
