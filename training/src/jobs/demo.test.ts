import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GbdtModelJSON,
  loadClassifierModel,
  loadGarch,
  readArtifact,
  sha256,
} from "@mlops/models";
import { DEMO_FIXTURE, readDemoFixture } from "@mlops/models/test-support";
import { openStore, type Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Interrupted } from "../errors.js";
import { type DemoJobOutput, runDemoJob } from "./demo.js";

let dir: string;
let store: Store;
let first: DemoJobOutput;
const lines: string[] = [];
const run = () =>
  runDemoJob({
    store,
    artifactRoot: join(dir, "artifacts"),
    experimentId: "default",
    challengerWeight: 10,
    trees: 2,
    gitSha: null,
    progress: (line, transient) => {
      if (!transient) lines.push(line);
    },
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-demo-"));
  store = await openStore({ kind: "sqlite", path: join(dir, "registry.db") });
  first = await run();
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("runDemoJob", () => {
  it("registers the forest champion, the gbdt challenger, the GARCH fit, their aliases and the experiment", async () => {
    expect(first.models).toEqual(DEMO_FIXTURE.map((m) => ({ ...m, registered: true })));
    expect(first.experiment).toEqual({
      id: "default",
      created: true,
      state: "running",
      concludedBy: null,
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^training classifier \(champion, forest\): 2 trees: accuracy 0\.\d{4}/,
      ),
      expect.stringMatching(/^training classifier \(challenger, gbdt\): 2 rounds: accuracy/),
      expect.stringMatching(
        /^fitted GARCH\(1,1\) on dem2gbp: log-likelihood -?\d+\.\d\d → dem2gbp@1$/,
      ),
    ]);
    expect(await store.models.aliases("classifier")).toEqual({ champion: 1, challenger: 2 });
    expect(await store.experiments.get("default")).toMatchObject({
      variants: [
        { name: "champion", weight: 90, model: "classifier@champion" },
        { name: "challenger", weight: 10, model: "classifier@challenger" },
      ],
    });
  });

  it("writes artifacts that @mlops/models reads back and loads", async () => {
    for (const { name, version } of DEMO_FIXTURE) {
      const registered = await store.models.get(name, version);
      const artifact = await readArtifact(registered!.artifact);
      expect(artifact.manifest).toMatchObject({ name, version, kind: registered!.kind });
      if (registered!.kind === "classifier") {
        const loaded = loadClassifierModel(artifact);
        expect(loaded.predictor.nClasses).toBe(2);
        expect(loaded.algorithm).toBe(version === 1 ? "forest" : "gbdt");
        expect(registered!.params.algorithm).toBe(loaded.algorithm);
      } else {
        expect(loadGarch(artifact).spec).toMatchObject({ p: 1, q: 1, dist: "normal" });
      }
    }
  });

  it("writes the models committed as @mlops/models' fixtures (else regenerate them)", async () => {
    const fixture = await readDemoFixture();
    for (const committed of fixture) {
      const { name, version } = committed.manifest;
      const registered = await store.models.get(name, version);
      const written = await readArtifact(registered!.artifact);
      const why = `${name} v${version} differs from the fixture: see its README`;
      // The model file's checksum is compared below where the model must be exact.
      const stable = ({
        run_id,
        created,
        git_sha,
        metrics,
        model_sha256,
        ...rest
      }: typeof written.manifest) => rest;
      if (committed.manifest.algorithm === "forest") {
        // Forests are exact: comparisons and midpoints of the data, no transcendental functions.
        expect(sha256(written.model), why).toBe(sha256(committed.model));
        expect(stable(written.manifest), why).toEqual(stable(committed.manifest));
      } else if (committed.manifest.algorithm === "gbdt") {
        // The splits are exact (bin edges of the data); leaf values go through Math.exp in the
        // gradients, whose last digits may move with the JavaScript engine.
        expect(stable(written.manifest), why).toEqual(stable(committed.manifest));
        const ours = JSON.parse(written.model) as GbdtModelJSON;
        const theirs = JSON.parse(committed.model) as GbdtModelJSON;
        const shape = ({ trees, baseScore, ...rest }: GbdtModelJSON) => ({
          ...rest,
          trees: trees.map(({ value, ...split }) => split),
        });
        expect(shape(ours), why).toEqual(shape(theirs));
        const values = (m: GbdtModelJSON) => [...m.baseScore, ...m.trees.flatMap((t) => t.value)];
        const theirValues = values(theirs);
        for (const [i, v] of values(ours).entries()) {
          expect(v, why).toBeCloseTo(theirValues[i]!, 10);
        }
      } else {
        // The fit's last digits may move with the JavaScript engine's Math functions.
        const ours = loadGarch(written);
        const theirs = loadGarch(committed);
        expect(ours.logLikelihood, why).toBeCloseTo(theirs.logLikelihood, 6);
        expect(ours.params.omega, why).toBeCloseTo(theirs.params.omega, 8);
        expect(ours.params.alpha[0], why).toBeCloseTo(theirs.params.alpha[0]!, 8);
        expect(ours.params.beta[0], why).toBeCloseTo(theirs.params.beta[0]!, 8);
      }
      for (const [key, value] of Object.entries(committed.manifest.metrics)) {
        expect(written.manifest.metrics[key], `${why} (${key})`).toBeCloseTo(value, 6);
      }
    }
  });

  it("reuses what is registered on a second run", async () => {
    lines.length = 0;
    const second = await run();
    expect(second.models).toEqual(DEMO_FIXTURE.map((m) => ({ ...m, registered: false })));
    expect(second.experiment.created).toBe(false);
    expect(lines).toEqual([
      "reusing classifier@champion (v1) and @challenger (v2)",
      "reusing dem2gbp@champion (v1)",
    ]);
    expect(await store.models.list("classifier")).toHaveLength(2);
  });

  it("warns when a running experiment's champion and challenger are one version", async () => {
    await store.models.setAlias("classifier", "champion", 2);
    lines.length = 0;
    await run();
    expect(lines[0]).toBe("reusing classifier@champion (v2) and @challenger (v2)");
    expect(lines[2]).toMatch(
      /^warning: classifier@champion and @challenger are the same version \(v2\), so the A\/B test compares it with itself; register a new challenger .* and give it a new experiment id \(MLOPS_EXPERIMENT_ID\)$/,
    );
    await store.models.setAlias("classifier", "champion", 1);
  });

  it("says a concluded experiment takes no more data, naming the decision that concluded it", async () => {
    const { experiment } = await run();
    const decision = {
      id: `${experiment.id}:1`,
      experiment_id: experiment.id,
      decision: "promote" as const,
      reason: "challenger better",
      evidence: {},
      decided_at: 1_700_000_000_000,
    };
    await store.experiments.appendDecision(decision);
    await store.experiments.setState(experiment.id, "concluded");
    await store.models.setAlias("classifier", "champion", 2);
    lines.length = 0;
    const concluded = await run();
    expect(concluded.experiment).toEqual({
      id: experiment.id,
      created: false,
      state: "concluded",
      concludedBy: { id: decision.id, decision: "promote", decided_at: decision.decided_at },
    });
    // Not the warning of a running experiment: this one compares nothing any more.
    expect(lines.slice(2)).toEqual([
      `experiment ${experiment.id} was concluded by decision ${decision.id} (promote, 2023-11-14T22:13:20.000Z): it takes no more data; to A/B-test another model, register a new challenger (mlops train …, then mlops promote --alias challenger) and give it a new experiment id (MLOPS_EXPERIMENT_ID)`,
    ]);
  });
});

describe("runDemoJob, stopped", () => {
  it("leaves the run KILLED and registers nothing when its signal is aborted", async () => {
    const other = await mkdtemp(join(tmpdir(), "mlops-demo-stopped-"));
    const stopped = await openStore({ kind: "sqlite", path: join(other, "registry.db") });
    try {
      const controller = new AbortController();
      const reason = new Interrupted("SIGTERM");
      const job = runDemoJob({
        store: stopped,
        artifactRoot: join(other, "artifacts"),
        experimentId: "default",
        challengerWeight: 10,
        trees: 5000,
        gitSha: null,
        // Stopped as the first trees are reported, as a signal during training would.
        progress: () => controller.abort(reason),
        signal: controller.signal,
      });
      await expect(job).rejects.toBe(reason);
      expect(await stopped.models.list("classifier")).toEqual([]);
      expect(await stopped.models.aliases("classifier")).toEqual({});
      const runs = await stopped.runs.list();
      expect(runs.map((r) => r.status)).toEqual(["KILLED"]);
    } finally {
      await stopped.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe("runDemoJob, with a bad experiment", () => {
  it("refuses an invalid experiment id or weight before training or registering anything", async () => {
    const other = await mkdtemp(join(tmpdir(), "mlops-demo-bad-"));
    const fresh = await openStore({ kind: "sqlite", path: join(other, "registry.db") });
    try {
      const progress: string[] = [];
      const demo = (experimentId: string, challengerWeight: number) =>
        runDemoJob({
          store: fresh,
          artifactRoot: join(other, "artifacts"),
          experimentId,
          challengerWeight,
          trees: 2,
          gitSha: null,
          progress: (line) => progress.push(line),
        });
      await expect(demo("Bad Id", 10)).rejects.toThrow(
        /^experimentId must be 1-64 characters of letters, digits, '\.', '_' or '-', starting with a letter or digit \(got "Bad Id"\)$/,
      );
      await expect(demo("default", 101)).rejects.toThrow(
        /^challengerWeight must be an integer in \[0, 100\] \(got 101\)$/,
      );
      expect(progress).toEqual([]);
      expect(await fresh.models.summaries()).toEqual([]);
      expect(await fresh.runs.list()).toEqual([]);
    } finally {
      await fresh.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});
