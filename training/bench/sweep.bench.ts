/**
 * Sweep benchmark (issue 4's bar, and issue 21's gbdt sweeps): the same 20-trial random sweep on
 * the demo training part with and without Bandit early termination, for the forest (on one shared
 * 2-thread pool, 2 trials at a time) and for gradient-boosted trees over the design's space (one
 * thread, 2 trials at a time, interleaved round by round). Prints wall time, trials stopped, trees
 * or rounds trained and the best validation accuracy of each.
 *
 *   tsx bench/sweep.bench.ts [--trials 20] [--json]
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  createTrainingPool,
  GBDT_SWEEP_FIXED,
  gbdtDesignSpace,
  loadDataset,
  runSweep,
  type SweepDefinition,
  type TerminationPolicy,
  type TrainingPool,
} from "../src/index.js";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 1) {
  throw new RangeError(`--trials must be an integer ≥ 1 (got ${values.trials})`);
}

const dataset = await loadDataset(
  fileURLToPath(new URL("../data/demo-classification.csv", import.meta.url)),
  { label: "label" },
);
const forest: SweepDefinition = {
  space: {
    maxDepth: { type: "choice", values: [1, 2, 3, 4, 6, 8, 12, 16] },
    maxFeatures: { type: "choice", values: ["sqrt", "all", 0.4] },
    minSamplesLeaf: { type: "quniform", min: 1, max: 20, q: 1 },
  },
  sampling: { kind: "random", seed: 7 },
  fixed: { nEstimators: 100 },
  maxTrials: trials,
  maxConcurrent: 2,
  reportEvery: 10,
};
const gbdt: SweepDefinition = {
  algorithm: "gbdt",
  space: gbdtDesignSpace("random"),
  sampling: { kind: "random", seed: 7 },
  fixed: GBDT_SWEEP_FIXED,
  maxTrials: trials,
  maxConcurrent: 2,
  reportEvery: 1,
};

const sweeps: [string, SweepDefinition, TerminationPolicy | undefined][] = [
  ["forest, no early termination", forest, undefined],
  [
    "forest, Bandit (slack factor 0.02, delay 1)",
    forest,
    { kind: "bandit", slackFactor: 0.02, delayEvaluation: 1 },
  ],
  ["gbdt, no early termination", gbdt, undefined],
  [
    "gbdt, Bandit (slack factor 0.02, delay 10)",
    gbdt,
    { kind: "bandit", slackFactor: 0.02, delayEvaluation: 10 },
  ],
  ["gbdt, Median stopping (delay 10)", gbdt, { kind: "median", delayEvaluation: 10 }],
];

const pool: TrainingPool = createTrainingPool(2);
await pool.ready();
const rows = [];
for (const [label, definition, policy] of sweeps) {
  const start = performance.now();
  const sweep = await runSweep(
    dataset,
    { ...definition, policy },
    definition.algorithm === "gbdt" ? {} : { pool },
  );
  rows.push({
    sweep: label,
    ms: performance.now() - start,
    trials: sweep.trials.length,
    terminated: sweep.terminated,
    trained: sweep.trials.reduce((n, t) => n + t.trained, 0),
    bestAccuracy: sweep.best?.accuracy ?? Number.NaN,
    bestAssignment: sweep.best?.assignment,
  });
}
await pool.close();

if (values.json) {
  console.log(JSON.stringify({ trials, rows }));
} else {
  console.log(
    `${trials}-trial random sweeps, 2 trials at a time: forest 100 trees per trial on 2 worker threads; gbdt over the design's space on 1 thread\n`,
  );
  console.log(
    "sweep                                        | wall ms | trials stopped | trees/rounds trained | best validation accuracy",
  );
  console.log(
    "---------------------------------------------|---------|----------------|----------------------|-------------------------",
  );
  for (const r of rows) {
    console.log(
      `${r.sweep.padEnd(44)} | ${r.ms.toFixed(0).padStart(7)} | ${`${r.terminated} of ${r.trials}`.padStart(14)} | ${String(r.trained).padStart(20)} | ${r.bestAccuracy.toFixed(4)}`,
    );
  }
}
