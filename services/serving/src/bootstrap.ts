/**
 * First-run set-up for `pnpm start`: when the registry lacks them, train a champion and a
 * challenger forest on the demo data, fit GARCH on the dem2gbp returns, register each as a
 * tracked run with its artifact, point the aliases, and define the experiment. What is already
 * registered is reused, so a second start only serves.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  CHALLENGER,
  CHAMPION,
  type Metrics,
  type ModelManifest,
  type Params,
} from "@mlops/contracts";
import { fit as fitGarch } from "@mlops/garch";
import type { Store } from "@mlops/store";
import { parseCsv, runTrainJob } from "@mlops/training";
import { writeArtifact } from "./models/artifacts.js";

/** The demo data shipped with the repository. */
export const DEMO_DATA = {
  classification: fileURLToPath(
    new URL("../../../training/data/demo-classification.csv", import.meta.url),
  ),
  returns: fileURLToPath(new URL("../../../garch/data/dem2gbp.csv", import.meta.url)),
};

/** Registered names the local set-up uses. */
export const DEMO_MODELS = { classifier: "classifier", garch: "dem2gbp" } as const;

/** The two arms: 100 trees on the same data, different seeds. */
const ARMS = [
  { alias: CHAMPION, seed: 1 },
  { alias: CHALLENGER, seed: 2 },
] as const;
const TREES = 100;

export interface BootstrapOptions {
  readonly store: Store;
  readonly artifactDir: string;
  readonly experimentId: string;
  readonly challengerWeight: number;
  /** Worker threads for training. */
  readonly threads: number;
  /** Progress lines for people (stderr in `pnpm start`). */
  readonly progress: (line: string, transient?: boolean) => void;
}

/**
 * Records a finished run and registers its artifact as the next version of `name` (the GARCH
 * fit; classifiers go through training's `runTrainJob`).
 */
async function registerRun(
  store: Store,
  artifactDir: string,
  entry: {
    name: string;
    kind: ModelManifest["kind"];
    featureSchema: ModelManifest["feature_schema"];
    params: Params;
    metrics: Metrics;
    seed: number;
    dataHash: string;
    startedAt: number;
    model: Uint8Array;
  },
): Promise<number> {
  const runId = randomUUID();
  await store.runs.create({
    run_id: runId,
    experiment_name: "bootstrap",
    run_name: `${entry.name} (pnpm start)`,
    start_time: entry.startedAt,
    params: entry.params,
    tags: { "mlops.data_hash": entry.dataHash, "mlops.seed": String(entry.seed) },
  });
  const now = Date.now();
  await store.runs.logMetrics(
    runId,
    Object.entries(entry.metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: now })),
  );
  const next = ((await store.models.list(entry.name))[0]?.version ?? 0) + 1;
  const artifact = await writeArtifact(
    artifactDir,
    {
      name: entry.name,
      version: next,
      kind: entry.kind,
      feature_schema: entry.featureSchema,
      metrics: entry.metrics,
      params: entry.params,
      seed: entry.seed,
      data_hash: entry.dataHash,
      git_sha: null,
      run_id: runId,
      created: new Date(now).toISOString(),
    },
    entry.model,
  );
  await store.runs.addArtifacts(runId, [{ path: "model", uri: artifact.uri }]);
  const registered = await store.models.register({
    name: entry.name,
    kind: entry.kind,
    run_id: runId,
    data_hash: entry.dataHash,
    git_sha: null,
    params: entry.params,
    metrics: entry.metrics,
    artifact,
  });
  await store.runs.finish(runId, "FINISHED", Date.now());
  if (registered.version !== next) {
    throw new Error(`${entry.name}: registered as version ${registered.version}, wrote ${next}`);
  }
  return registered.version;
}

/** Trains and registers (training's `runTrainJob`) whichever demo arm has no alias yet. */
async function ensureClassifiers(options: BootstrapOptions): Promise<void> {
  const { store, progress } = options;
  const name = DEMO_MODELS.classifier;
  const aliases = await store.models.aliases(name);
  const missing = ARMS.filter((arm) => aliases[arm.alias] === undefined);
  if (missing.length === 0) {
    progress(
      `reusing ${name}@${CHAMPION} (v${aliases[CHAMPION]}) and @${CHALLENGER} (v${aliases[CHALLENGER]})`,
    );
    return;
  }
  for (const arm of missing) {
    const label = `training ${name} (${arm.alias}): ${TREES} trees`;
    const job = await runTrainJob({
      data: DEMO_DATA.classification,
      label: "label",
      name,
      trees: TREES,
      seed: arm.seed,
      threads: options.threads,
      store,
      artifactRoot: options.artifactDir,
      onProgress: (p) => progress(`${label} ${bar(p.treesDone / p.nEstimators)}`, true),
    });
    await store.models.setAlias(name, arm.alias, job.model.version);
    progress(
      `${label}: accuracy ${job.metrics.accuracy.toFixed(4)} in ${(job.fit_ms / 1000).toFixed(1)} s → ${name}@${job.model.version} = ${arm.alias}`,
    );
  }
}

/** Fits and registers GARCH(1,1) on dem2gbp unless it is registered. */
async function ensureGarch(options: BootstrapOptions): Promise<void> {
  const { store, progress } = options;
  const name = DEMO_MODELS.garch;
  const aliases = await store.models.aliases(name);
  if (aliases[CHAMPION] !== undefined) {
    progress(`reusing ${name}@${CHAMPION} (v${aliases[CHAMPION]})`);
    return;
  }
  const bytes = await readFile(DEMO_DATA.returns);
  const series = readReturns(bytes.toString("utf8"));
  const startedAt = Date.now();
  progress(`fitting GARCH(1,1) on ${name} (${series.values.length} returns)…`, true);
  const fitted = fitGarch(series.values, { p: 1, q: 1, dist: "normal", mean: "constant" });
  const version = await registerRun(store, options.artifactDir, {
    name,
    kind: "garch",
    featureSchema: { kind: "garch", series: series.column },
    params: { p: 1, q: 1, dist: "normal", mean: "constant" },
    metrics: { log_likelihood: fitted.logLikelihood, aic: fitted.aic, bic: fitted.bic },
    seed: 0,
    dataHash: createHash("sha256").update(bytes).digest("hex"),
    startedAt,
    model: Buffer.from(JSON.stringify(fitted.toJSON())),
  });
  await store.models.setAlias(name, CHAMPION, version);
  progress(
    `fitted GARCH(1,1) on ${name}: log-likelihood ${fitted.logLikelihood.toFixed(2)}${fitted.converged ? "" : " (not converged)"} → ${name}@${version}`,
  );
}

/** Defines the A/B experiment the server logs to, unless it exists. */
async function ensureExperiment(options: BootstrapOptions): Promise<void> {
  const { store, experimentId, challengerWeight } = options;
  if (await store.experiments.get(experimentId)) return;
  await store.experiments.create({
    id: experimentId,
    description: "Champion vs challenger on the demo classification data (pnpm start).",
    variants: [
      {
        name: CHAMPION,
        weight: 100 - challengerWeight,
        model: `${DEMO_MODELS.classifier}@${CHAMPION}`,
      },
      {
        name: CHALLENGER,
        weight: challengerWeight,
        model: `${DEMO_MODELS.classifier}@${CHALLENGER}`,
      },
    ],
    primary_metric: "accuracy",
    guardrails: [{ metric: "error_rate", max_relative_increase: 0.1 }],
    state: "running",
  });
}

/**
 * The first column of a returns CSV (header, one number per line). The garch CLI's reader is
 * not exported by `@mlops/garch` (its core does no I/O), so this uses training's CSV parser.
 */
function readReturns(text: string): { column: string; values: Float64Array } {
  const [header, ...rows] = parseCsv(text);
  const column = header?.fields[0];
  if (column === undefined || rows.length === 0) throw new Error("returns CSV has no data rows");
  const values = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const value = Number(row.fields[0]);
    if (row.fields[0]?.trim() === "" || !Number.isFinite(value)) {
      throw new Error(`returns CSV line ${row.line}, column "${column}": not a finite number`);
    }
    values[i] = value;
  });
  return { column, values };
}

/** A 20-cell text progress bar. */
function bar(fraction: number): string {
  const cells = Math.round(fraction * 20);
  return `[${"#".repeat(cells)}${".".repeat(20 - cells)}] ${Math.round(fraction * 100)}%`;
}

/** Makes sure the demo models, their aliases and the experiment exist. */
export async function bootstrap(options: BootstrapOptions): Promise<void> {
  await ensureClassifiers(options);
  await ensureGarch(options);
  await ensureExperiment(options);
}
