/**
 * Sweep benchmark (issue 4's bar): the same 20-trial random sweep on the demo training part, with
 * and without Bandit early termination, on one shared 2-thread pool. Prints wall time, trials
 * stopped and the best validation accuracy of each.
 *
 *   tsx bench/sweep.bench.ts [--trials 20] [--json]
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTrainingPool, loadDataset, runSweep, type SweepDefinition } from "../src/index.js";

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
const definition: SweepDefinition = {
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

const pool = createTrainingPool(2);
await pool.ready();
const rows = [];
for (const [label, policy] of [
  ["no early termination", undefined],
  [
    "Bandit (slack factor 0.02, delay 1)",
    { kind: "bandit", slackFactor: 0.02, delayEvaluation: 1 } as const,
  ],
] as const) {
  const start = performance.now();
  const sweep = await runSweep(dataset, { ...definition, policy }, { pool });
  rows.push({
    sweep: label,
    ms: performance.now() - start,
    trials: sweep.trials.length,
    terminated: sweep.terminated,
    trees: sweep.trials.reduce((n, t) => n + t.nTrees, 0),
    bestAccuracy: sweep.best?.accuracy ?? Number.NaN,
    bestAssignment: sweep.best?.assignment,
  });
}
await pool.close();

if (values.json) {
  console.log(JSON.stringify({ trials, rows }));
} else {
  console.log(
    `${trials}-trial random sweep, 100 trees per trial, 2 worker threads, 2 trials at a time\n`,
  );
  console.log(
    "sweep                                | wall ms | trials stopped | trees trained | best validation accuracy",
  );
  console.log(
    "-------------------------------------|---------|----------------|---------------|-------------------------",
  );
  for (const r of rows) {
    console.log(
      `${r.sweep.padEnd(36)} | ${r.ms.toFixed(0).padStart(7)} | ${`${r.terminated} of ${r.trials}`.padStart(14)} | ${String(r.trees).padStart(13)} | ${r.bestAccuracy.toFixed(4)}`,
    );
  }
}
