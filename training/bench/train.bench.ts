/**
 * Random-forest benchmark: this package's trainer (1 thread; 2 worker threads with the pool
 * started beforehand and, separately, from cold) beside scikit-learn's
 * `RandomForestClassifier(n_estimators, n_jobs=1)` on the same split, in the same run.
 *
 *   tsx bench/train.bench.ts [--trees 100] [--repeat 3] [--seed 42] [--data FILE --label COL] [--json]
 *
 * Each fit is repeated and the median wall time reported. The bar (issue 4): accuracy within
 * 0.01 of scikit-learn's published 0.9615 on the demo split and fit time ≤ 3× scikit-learn's.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { RandomForestClassifier } from "ml-random-forest";
import {
  createTrainingPool,
  type FitOptions,
  loadDataset,
  type TrainOutcome,
  takeRows,
  trainAndEvaluate,
} from "../src/index.js";
import { DATA_OPTIONS, formatTable, median, positiveInteger } from "./common.js";

const SKLEARN_ACCURACY = 0.9615;
const { values } = parseArgs({
  options: {
    trees: { type: "string", default: "100" },
    repeat: { type: "string", default: "3" },
    ...DATA_OPTIONS,
  },
});
const trees = positiveInteger("--trees", values.trees);
const repeat = positiveInteger("--repeat", values.repeat);
const seed = positiveInteger("--seed", values.seed, 0);

const dataset = await loadDataset(values.data, { label: values.label, seed });
const test = takeRows(dataset, dataset.split.test);

async function sklearn(): Promise<{ version: string; accuracy: number; fitMs: number[] }> {
  const script = fileURLToPath(new URL("./sklearn_fit.py", import.meta.url));
  const fitMs: number[] = [];
  let last = { version: "", accuracy: 0 };
  for (let r = 0; r < repeat; r++) {
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [
      script,
      values.data,
      values.label,
      String(trees),
      String(seed),
    ]);
    const out = JSON.parse(stdout) as { version: string; accuracy: number; fit_ms: number };
    fitMs.push(out.fit_ms);
    last = out;
  }
  return { version: last.version, accuracy: last.accuracy, fitMs };
}

interface Row {
  trainer: string;
  accuracy: number;
  fitMs: number;
  ratio: number;
  modelBytes?: number;
  loadMs?: number;
  sameAsLoaded?: boolean;
}

async function ours(
  label: string,
  fit: () => FitOptions,
  cold = false,
): Promise<Omit<Row, "ratio">> {
  const times: number[] = [];
  let outcome: TrainOutcome | undefined;
  for (let r = 0; r < repeat; r++) {
    const options = fit();
    outcome = await trainAndEvaluate(dataset, { nEstimators: trees, seed }, options);
    times.push(outcome.fitMs);
    if (cold) await options.pool?.close();
  }
  const { fit: result, metrics } = outcome!;
  const json = JSON.stringify(result.model);
  const loadStart = performance.now();
  const loaded = RandomForestClassifier.load(JSON.parse(json));
  const loadMs = performance.now() - loadStart;
  const rows = Array.from({ length: test.y.length }, (_, i) =>
    Array.from(test.x.subarray(i * test.nFeatures, (i + 1) * test.nFeatures)),
  );
  const predicted = result.predictor.predict(test.x);
  const sameAsLoaded = loaded.predict(rows).every((p, i) => p === predicted[i]);
  return {
    trainer: label,
    accuracy: metrics.accuracy,
    fitMs: median(times),
    modelBytes: Buffer.byteLength(json),
    loadMs,
    sameAsLoaded,
  };
}

const reference = await sklearn();
const warmPool = createTrainingPool(2);
// Start the threads (and tsx in them) before timing.
await warmPool.ready();
const measured = [
  await ours("@mlops/training, 1 thread", () => ({ threads: 1 })),
  await ours("@mlops/training, 2 threads (pool started)", () => ({ pool: warmPool })),
  await ours(
    "@mlops/training, 2 threads (cold, incl. thread start)",
    () => ({ pool: createTrainingPool(2) }),
    true,
  ),
];
await warmPool.close();

const sklearnMs = median(reference.fitMs);
const rows: Row[] = [
  {
    trainer: `scikit-learn ${reference.version}, n_jobs=1`,
    accuracy: reference.accuracy,
    fitMs: sklearnMs,
    ratio: 1,
  },
  ...measured.map((m) => ({ ...m, ratio: m.fitMs / sklearnMs })),
];
const bar = {
  accuracyAtLeast: SKLEARN_ACCURACY - 0.01,
  ratioAtMost: 3,
  met: measured.every((m) => m.accuracy >= SKLEARN_ACCURACY - 0.01 && m.fitMs / sklearnMs <= 3),
};

if (values.json) {
  console.log(
    JSON.stringify({
      trees,
      repeat,
      seed,
      trainRows: dataset.split.train.length,
      testRows: test.y.length,
      rows,
      bar,
    }),
  );
} else {
  console.log(
    `${trees} trees, ${dataset.split.train.length} × ${test.nFeatures} training rows, ${test.y.length} test rows; median of ${repeat} fits\n`,
  );
  const header = [
    "trainer",
    "test accuracy",
    "fit ms",
    "× sklearn",
    "model JSON",
    "rf.load ms",
    "load predicts same",
  ];
  const table = rows.map((r) => [
    r.trainer,
    r.accuracy.toFixed(4),
    r.fitMs.toFixed(0),
    r.ratio.toFixed(2),
    r.modelBytes === undefined ? "" : `${(r.modelBytes / 1e6).toFixed(2)} MB`,
    r.loadMs === undefined ? "" : r.loadMs.toFixed(0),
    r.sameAsLoaded === undefined ? "" : String(r.sameAsLoaded),
  ]);
  console.log(formatTable(header, table));
  console.log(
    `\nbar: accuracy ≥ ${bar.accuracyAtLeast.toFixed(4)} and fit ≤ ${bar.ratioAtMost}× scikit-learn: ${bar.met ? "met" : "NOT met"}`,
  );
}
