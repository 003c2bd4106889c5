/**
 * Application Insights end to end, with no traffic beyond loopback: the scenario runs inside
 * its own network namespace (`unshare -n`, loopback only) and traces every connect() of the
 * server, so a call to the instance-metadata address or any other host is both blocked and
 * reported.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "@mlops/contracts/test-support/hooks";
import { describe, expect, it } from "vitest";

const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const scenario = fileURLToPath(new URL("./telemetry-scenario.ts", import.meta.url));

const scratch = scratchDir("mlops-telemetry-");

/** Runs the scenario in a loopback-only network namespace and returns its result line. */
function runScenario(...args: string[]) {
  for (const tool of ["unshare", "strace", "openssl", "ip"]) {
    expect(spawnSync("sh", ["-c", `command -v ${tool}`]).status, `${tool} is required`).toBe(0);
  }
  const out = execFileSync(
    "unshare",
    [
      "-n",
      "sh",
      "-c",
      'ip link set lo up && exec "$0" "$@"',
      process.execPath,
      tsxCli,
      scenario,
      // A directory per run: the collector appends to its files.
      mkdtempSync(join(scratch.path, "run-")),
      ...args,
    ],
    { encoding: "utf8", timeout: 110_000 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("Application Insights", () => {
  it("sends every sampled request to the configured endpoint and connects nowhere else, its control-plane poll included", () => {
    const result = runScenario();
    expect(result.exitCode).toBe(0);
    expect(result.nonLoopback).toEqual([]);
    expect(result.baseTypes).toContain("RequestData");
    expect(result.requests.filter((url: string) => url.includes("/predict"))).toHaveLength(12);
  });

  it("with local auth off, sends with the identity's token for Azure Monitor and is accepted", () => {
    const result = runScenario("entra");
    expect(result.exitCode).toBe(0);
    expect(result.nonLoopback).toEqual([]);
    // Every export carried a token the identity endpoint issued for Azure Monitor's audience.
    expect(result.authorizations.length).toBeGreaterThan(0);
    for (const authorization of result.authorizations) {
      expect(authorization).toMatch(/^Bearer token-\d+-for-https:\/\/monitor\.azure\.com\/?$/);
    }
    expect(result.requests.filter((url: string) => url.includes("/predict"))).toHaveLength(12);
  });
});
