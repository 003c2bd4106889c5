import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decision } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { configSetArgs, findOnPath } from "./pulumi.js";
import { experimentIdFor, parseDecision, planCandidate, planDecision } from "./release.js";
import { readStackTarget, type ServingRelease, stackNameOf } from "./stack-config.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PROD = join(ROOT, "Pulumi.prod.yaml");

const current: ServingRelease = {
  championImageTag: "1.4.2",
  challengerImageTag: "1.5.0-rc.1",
  championModel: "classifier@12",
  challengerModel: "classifier@13",
  canaryWeight: 10,
  experimentId: "classifier-12-vs-13",
};

function decision(kind: Decision["decision"], experiment = current.experimentId): Decision {
  return {
    id: `decision-${kind}`,
    experiment_id: experiment,
    decision: kind,
    reason: `the analysis says ${kind}`,
    evidence: { p_value: 0.01 },
    decided_at: 1_795_000_000_000,
  };
}

describe("planDecision", () => {
  it("promote: the challenger's image and model become the champion's and the canary closes", () => {
    const plan = planDecision(decision("promote"), current);
    expect(plan.ok).toBe(true);
    expect(plan.changes).toEqual([
      { field: "championImageTag", from: "1.4.2", to: "1.5.0-rc.1" },
      { field: "championModel", from: "classifier@12", to: "classifier@13" },
      { field: "canaryWeight", from: 10, to: 0 },
    ]);
  });

  it("rollback: the canary closes and the challenger goes back to the champion", () => {
    expect(planDecision(decision("rollback"), current).changes).toEqual([
      { field: "canaryWeight", from: 10, to: 0 },
      { field: "challengerImageTag", from: "1.5.0-rc.1", to: "1.4.2" },
      { field: "challengerModel", from: "classifier@13", to: "classifier@12" },
    ]);
  });

  it("continue changes nothing; invalid changes nothing and is not ok", () => {
    expect(planDecision(decision("continue"), current)).toMatchObject({ ok: true, changes: [] });
    expect(planDecision(decision("invalid"), current)).toMatchObject({ ok: false, changes: [] });
  });

  it("skips values already in place (a promote re-run is a no-op)", () => {
    const promoted = { ...current, championImageTag: "1.5.0-rc.1", championModel: "classifier@13" };
    expect(planDecision(decision("promote"), { ...promoted, canaryWeight: 0 }).changes).toEqual([]);
  });

  it("refuses a decision about another experiment", () => {
    expect(() => planDecision(decision("promote", "classifier-1-vs-2"), current)).toThrow(
      /about experiment classifier-1-vs-2, but the stack runs classifier-12-vs-13/,
    );
  });

  it("validates the decision record with the contracts schema, naming the field", () => {
    expect(() => parseDecision({ ...decision("promote"), decision: "ship-it" })).toThrow(
      /--decision is invalid: decision:/,
    );
    expect(() => parseDecision({ ...decision("promote"), reason: "" })).toThrow(/reason/);
  });
});

describe("planCandidate", () => {
  it("puts the new build behind the canary as a new experiment", () => {
    const plan = planCandidate({ imageTag: "0a1b2c3", model: "classifier@14" }, current);
    expect(plan.changes).toEqual([
      { field: "challengerImageTag", from: "1.5.0-rc.1", to: "0a1b2c3" },
      { field: "challengerModel", from: "classifier@13", to: "classifier@14" },
      { field: "experimentId", from: "classifier-12-vs-13", to: "classifier-12-vs-14" },
    ]);
  });

  it("sets the canary weight only when asked", () => {
    const plan = planCandidate(
      { imageTag: "0a1b2c3", model: "classifier@14", canaryWeight: 20, experimentId: "x-1" },
      current,
    );
    expect(plan.changes.map((c) => [c.field, c.to])).toContainEqual(["canaryWeight", 20]);
    expect(plan.changes.map((c) => [c.field, c.to])).toContainEqual(["experimentId", "x-1"]);
  });

  it("refuses moving tags, unpinned models and underivable experiment ids", () => {
    expect(() => planCandidate({ imageTag: "latest", model: "classifier@14" }, current)).toThrow(
      /--image-tag must name an immutable build/,
    );
    expect(() => planCandidate({ imageTag: "a b", model: "classifier@14" }, current)).toThrow(
      /--image-tag must be an image tag/,
    );
    expect(() => planCandidate({ imageTag: "abc", model: "classifier" }, current)).toThrow(
      /--model must pin a version or alias/,
    );
    expect(() => experimentIdFor("classifier@champion", "classifier@14")).toThrow(
      /--experiment is required/,
    );
  });
});

describe("the stack config file", () => {
  it("reads the real Pulumi.prod.yaml: a renamed key on either side fails here", async () => {
    const target = await readStackTarget(PROD);
    expect(target).toMatchObject({ project: "mlops-platform", stack: "prod", file: PROD });
    expect(Object.keys(target.serving).sort()).toEqual(Object.keys(current).sort());
  });

  it("takes the stack name from the file name", () => {
    expect(stackNameOf("/x/Pulumi.prod.yaml")).toBe("prod");
    expect(stackNameOf("Pulumi.eu.staging.yml")).toBe("eu.staging");
    expect(() => stackNameOf("prod.yaml")).toThrow(/Pulumi.<stack>.yaml/);
  });

  it("builds one typed `pulumi config set` per change, ending flags before the value", async () => {
    const target = await readStackTarget(PROD);
    expect(configSetArgs(target, { field: "canaryWeight", from: 10, to: 0 })).toEqual([
      "config",
      "set",
      "--stack",
      "prod",
      "--config-file",
      PROD,
      "--path",
      "--type",
      "int",
      "serving.canaryWeight",
      "--",
      "0",
    ]);
    expect(
      configSetArgs(target, { field: "challengerImageTag", from: "a", to: "20261123" }).slice(7),
    ).toEqual(["--type", "string", "serving.challengerImageTag", "--", "20261123"]);
  });

  it("finds executables on PATH only", async () => {
    expect(await findOnPath("node", { PATH: `/nonexistent:${process.env.PATH}` })).toMatch(/node$/);
    expect(await findOnPath("node", { PATH: "/nonexistent" })).toBeUndefined();
  });
});

describe("mlops release (CLI)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-release-"));
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    await copyFile(PROD, join(dir, "Pulumi.prod.yaml"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = async (args: string[], env: Record<string, string> = {}) => {
    let stdout = "";
    let stderr = "";
    const code = await main(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env,
      isTTY: false,
    });
    return { code, stdout, stderr };
  };
  const decisionFile = async (kind: Decision["decision"]) => {
    const file = join(dir, `${kind}.json`);
    await writeFile(file, JSON.stringify(decision(kind)));
    return file;
  };

  it("prints one JSON plan with the full config keys", async () => {
    const out = await run([
      "release",
      "plan",
      "--decision",
      await decisionFile("rollback"),
      "--stack-config",
      join(dir, "Pulumi.prod.yaml"),
      "--json",
    ]);
    expect(out.code).toBe(0);
    const plan = JSON.parse(out.stdout);
    expect(plan).toMatchObject({ action: "rollback", ok: true, stack: "prod", applied: false });
    expect(plan.changes.map((c: { key: string }) => c.key)).toEqual([
      "mlops-platform:serving.canaryWeight",
      "mlops-platform:serving.challengerImageTag",
      "mlops-platform:serving.challengerModel",
    ]);
  });

  it("exits 1 on an invalid decision, after printing that nothing is released", async () => {
    const out = await run([
      "release",
      "plan",
      "--decision",
      await decisionFile("invalid"),
      "--stack-config",
      join(dir, "Pulumi.prod.yaml"),
    ]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/no config changes/);
    expect(out.stdout).toMatch(/the decision is invalid: nothing is released/);
  });

  it("--apply fails clearly, before writing anything, when the Pulumi CLI is missing", async () => {
    const out = await run(
      [
        "release",
        "plan",
        "--decision",
        await decisionFile("promote"),
        "--stack-config",
        join(dir, "Pulumi.prod.yaml"),
        "--apply",
      ],
      { PATH: dir },
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--apply needs the Pulumi CLI, and `pulumi` is not on PATH/);
    expect((await readStackTarget(join(dir, "Pulumi.prod.yaml"))).serving.canaryWeight).toBe(10);
  });

  it("--apply of a continue decision has nothing to write, so it needs no Pulumi CLI", async () => {
    const out = await run(
      [
        "release",
        "plan",
        "--decision",
        await decisionFile("continue"),
        "--stack-config",
        join(dir, "Pulumi.prod.yaml"),
        "--apply",
      ],
      { PATH: dir },
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/no config changes\nnothing to apply\n$/);
  });

  it("rejects a file that is not a decision record", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{not json");
    const out = await run(["release", "plan", "--decision", file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--decision must be a readable JSON file/);
  });
});
