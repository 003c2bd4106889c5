/**
 * The pipeline's smoke test through a guarded edge, as after a deploy: one API process per arm
 * in the prod configuration (API keys and a canary token mounted as files, internal-only ops
 * paths), behind a loopback router that does what the public route does — forwards the public
 * paths only (`PUBLIC_PATHS.api`), adds `X-Forwarded-For`, and sends `x-canary: always` to the
 * challenger. `mlops smoke --edge` passes with the credentials the deploy job reads from Key
 * Vault, and fails, check by check, without them.
 */
import { join } from "node:path";
import { CANARY_OVERRIDE, PUBLIC_PATHS } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { START, start, startArms } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";
import { mlops, ROOT } from "../workflows/support.js";
import {
  expectSmokePasses,
  type PublicRoute,
  startPublicRoute,
  writeSecrets,
} from "./edge-http.js";

const SERVER = join(ROOT, "services", "serving", "dist", "main.js");
const API_KEY = "deploy-job-api-key";
const CANARY_TOKEN = "deploy-job-canary-token";

const suite = scratchSuite("mlops-edge-smoke-");
let router: PublicRoute;
let url: string;

beforeAll(async () => {
  const { dir, running } = suite;
  const secrets = await writeSecrets(dir, {
    "api-key-1": API_KEY,
    "canary-token-1": CANARY_TOKEN,
  });
  // 1. Register the demo models (pnpm start's bootstrap), then stop.
  const bootstrap = await start(START, dir, { MLOPS_WORKERS: "1" });
  expect(await bootstrap.stop("SIGTERM")).toBe(0);
  // 2. One process per arm, as the two Deployments run.
  const { champion, challenger } = await startArms(
    SERVER,
    dir,
    { MLOPS_AUTH: "api-keys", MLOPS_SECRETS_DIR: secrets, MLOPS_OPS_INTERNAL_ONLY: "true" },
    running,
  );
  // 3. The public route in front of them.
  router = await startPublicRoute(PUBLIC_PATHS.api, (req) =>
    req.headers[CANARY_OVERRIDE.header] === "always" ? challenger.url : champion.url,
  );
  url = router.url;
}, 300_000);

afterAll(async () => {
  await router?.close();
});

describe("mlops smoke --edge", () => {
  it("passes through the public route with the deploy job's API key and canary token", async () => {
    await expectSmokePasses(
      ["--url", url, "--edge"],
      { MLOPS_SMOKE_API_KEY: API_KEY, MLOPS_SMOKE_CANARY_TOKEN: CANARY_TOKEN },
      [
        "health/ready",
        "predict",
        "garch/fit-forecast",
        "route X-Canary: always",
        "route X-Canary: never",
      ],
    );
  });

  it("fails the guarded checks without credentials, and the routing ones without the token", async () => {
    const none = await mlops(["smoke", "--url", url, "--edge"]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/predict +FAIL +401 /);
    expect(none.stdout).toMatch(/health\/ready +ok +200/);
    const keyOnly = await mlops(["smoke", "--url", url, "--edge"], {
      MLOPS_SMOKE_API_KEY: API_KEY,
    });
    expect(keyOnly.code).toBe(1);
    expect(keyOnly.stdout).toMatch(/predict +ok +200/);
    expect(keyOnly.stdout).toMatch(/route X-Canary: always +FAIL +403 .*CANARY_OVERRIDE_FORBIDDEN/);
  });
});
