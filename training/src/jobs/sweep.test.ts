import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDemoCsv } from "../../test-support/cli.js";
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
