import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDemoCsv } from "../../test-support/cli.js";
import type { TrialResult } from "../sweep/run.js";
import type { RunTracker } from "../tracking/tracker.js";
import { runSweepJob } from "./sweep.js";

let root: string;
let data: string;
let store: Store;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-sweep-job-"));
  data = await writeDemoCsv(root, 300);
  store = openSqliteStore(join(root, "platform.db"));
});
afterAll(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

describe("runSweepJob", () => {
  it("records what reproduces the sweep and each trial, and times each metric when measured", async () => {
    const trials: TrialResult[] = [];
    const result = await runSweepJob({
      data,
      label: "label",
      tracker: store.runs,
      experiment: "reproducible",
      threads: 2,
      definition: {
        algorithm: "gbdt",
        space: { learningRate: { type: "choice", values: [0.05, 0.3] } },
        sampling: { kind: "random", seed: 7 },
        fixed: { nEstimators: 6, maxDepth: null, minSamplesLeaf: 1 },
        maxTrials: 2,
        timeoutMs: 90_000,
        reportEvery: 2,
      },
      onTrial: (trial) => trials.push(trial),
    });
    const parent = await store.runs.get(result.run_id);
    expect(parent?.params).toMatchObject({
      algorithm: "gbdt",
      sampling: "random",
      seed: 7,
      report_every: 2,
      timeout_s: 90,
      threads: 2,
      validation_seed: 42,
    });
    const children = await store.runs.list({ parentRunId: result.run_id });
    expect(children).toHaveLength(2);
    for (const trial of trials) {
      const child = children.find((c) => c.run_name === `trial ${trial.index}`)!;
      // The options it trained with, so that it can be trained again on its own.
      expect(child.params).toEqual({
        algorithm: "gbdt",
        nEstimators: 6,
        maxDepth: "none",
        minSamplesLeaf: 1,
        learningRate: trial.assignment.learningRate,
      });
      expect(child.tags["mlops.trial.sampled"]).toBe("learningRate");
      const points = child.metrics.validation_accuracy;
      expect(points.map((p) => p.step)).toEqual([2, 4, 6]);
      expect(points.map((p) => p.timestamp)).toEqual(trial.times);
      expect(child.metrics.validation_loss.map((p) => p.timestamp)).toEqual(trial.times);
    }
  });

  it("logs no sampling seed for a grid and no timeout when there is none", async () => {
    const result = await runSweepJob({
      data,
      label: "label",
      tracker: store.runs,
      experiment: "grid",
      definition: {
        space: { maxDepth: { type: "choice", values: [2] } },
        sampling: { kind: "grid" },
        fixed: { nEstimators: 5 },
        maxTrials: 1,
      },
    });
    expect((await store.runs.get(result.run_id))?.params).toMatchObject({
      algorithm: "forest",
      seed: "none",
      timeout_s: "none",
      report_every: 10,
      threads: 1,
    });
  });

  it("rejects with the tracker's error when a trial cannot be tracked, and marks the sweep FAILED", async () => {
    // A tracking server that takes the sweep's run, then goes down before the first trial ends.
    const tracker: RunTracker = {
      ...store.runs,
      create: (run) =>
        run.parent_run_id
          ? Promise.reject(new Error("tracking server unreachable"))
          : store.runs.create(run),
    };
    const sweep = runSweepJob({
      data,
      label: "label",
      tracker,
      experiment: "untracked",
      definition: {
        space: { maxDepth: { type: "choice", values: [2, 4, 6] } },
        sampling: { kind: "grid" },
        fixed: { nEstimators: 5 },
        maxTrials: 3,
        maxConcurrent: 1,
      },
    });
    await expect(sweep).rejects.toThrow("tracking server unreachable");
    const [parent] = await store.runs.list({ experimentName: "untracked" });
    expect(parent?.status).toBe("FAILED");
  });
});
