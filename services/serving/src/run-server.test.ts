import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type EnvRecord, parseServingConfig, renderServingEnv } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { GARCH_MODE, useFixture } from "../test-support/index.js";
import { runServer } from "./run-server.js";

const fixture = useFixture();
// Port 0: were it to start, the system would pick a free port.
const start = (env: EnvRecord) =>
  runServer({ ...parseServingConfig({ ...fixture.env, HOST: "127.0.0.1", ...env }), port: 0 });

describe("a serving process refuses to start", () => {
  it("logging under an experiment nobody defined, naming MLOPS_EXPERIMENT_ID", async () => {
    await expect(start({ MLOPS_EXPERIMENT_ID: "nosuch-exp" })).rejects.toThrow(
      "MLOPS_EXPERIMENT_ID: no experiment 'nosuch-exp' is defined in the store",
    );
  });

  it("on a SQLite store that does not exist, creating nothing, naming MLOPS_STORE", async () => {
    const path = join(fixture.dir, "typo", "platfrom.db");
    await expect(start({ MLOPS_STORE: `sqlite:${path}` })).rejects.toThrow(
      `MLOPS_STORE: sqlite:${path}: does not exist`,
    );
    expect(existsSync(join(fixture.dir, "typo"))).toBe(false);
  });
});

describe("the GARCH service (MLOPS_MODE=garch)", () => {
  it("refuses the prediction API's A/B test settings, naming each and the rule", () => {
    // The fixture sets MLOPS_CHALLENGER_WEIGHT for the prediction API's tests.
    expect(() => start({ MLOPS_MODE: "garch", MLOPS_EXPERIMENT_ID: "exp" })).toThrow(
      /MLOPS_EXPERIMENT_ID: must be unset when MLOPS_MODE is 'garch': only the prediction API reads it, and the GARCH service runs no experiment; MLOPS_CHALLENGER_WEIGHT: must be unset/,
    );
  });

  it("hands its workers an environment they start from (none of the A/B settings)", () => {
    const config = parseServingConfig({ ...fixture.env, ...GARCH_MODE, MLOPS_WORKERS: "2" });
    // A worker reads the primary's environment under what superviseWorkers renders.
    const workerEnv = { ...fixture.env, ...GARCH_MODE, ...renderServingEnv(config) };
    expect(parseServingConfig(workerEnv)).toEqual(config);
  });
});

describe("HOST", () => {
  /** The address Node's listen binds for `host`, once the config has read it. */
  const bound = (host: string) =>
    new Promise<string>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen({ host: parseServingConfig({ HOST: host }).host, port: 0 }, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" ? (address?.address ?? "") : ""));
      });
    });

  it.each([
    ["127.1", "127.0.0.1"],
    ["127.0.1", "127.0.0.1"],
    ["localhost", "127.0.0.1"],
  ])("accepts %s, which Node listens on as %s", async (host, address) => {
    expect(await bound(host)).toBe(address);
  });
});
