import { existsSync } from "node:fs";
import { join } from "node:path";
import { type EnvRecord, parseServingConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { useFixture } from "../test-support/index.js";
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
