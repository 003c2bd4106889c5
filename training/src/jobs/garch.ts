import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { NameSchema, type Params } from "@mlops/contracts";
import { checkSelection, type DistName, selectOrder } from "@mlops/garch";
import { parseCsv, tableSeries } from "@mlops/garch/csv";
import { artifactRef, garchModelFile, modelManifest, sha256, writeArtifact } from "@mlops/models";
import { registerVersion, type Store } from "@mlops/store";
import { prepareArtifactFolder } from "../artifact.js";
import { withDatasetErrors } from "../csv.js";
import { readDataFile } from "../dataset.js";
import { DatasetError, OptionError } from "../errors.js";
import { renderGarchCard } from "../garch-card.js";
import type { RegistryMirror } from "../tracking/mlflow-registry.js";
import type { RunTracker } from "../tracking/tracker.js";
import { headCommit } from "./git.js";
import { requireArtifactRoot, requireModelKind } from "./preflight.js";

/** What `mlops garch fit` does, as a function. */
export interface GarchJobInput {
  /** CSV of returns with a header. */
  readonly data: string;
  /** The returns column; may be omitted when the file has one column. */
  readonly column?: string;
  readonly name: string;
  /** @default 2 */
  readonly maxP?: number;
  /** @default 2 */
  readonly maxQ?: number;
  /** @default ["normal", "t"] */
  readonly dists?: readonly DistName[];
  /** @default "bic" */
  readonly criterion?: "aic" | "bic";
  readonly store: Store;
  /** @default store.runs */
  readonly tracker?: RunTracker;
  /** Where the new version is mirrored, e.g. MLflow's registry. */
  readonly mirror?: RegistryMirror | null;
  /** Run artifacts go to `<root>/<run_id>/model`. */
  readonly artifactRoot: string;
  /** @default `git rev-parse HEAD`, or null */
  readonly gitSha?: string | null;
  /** Called after each candidate model is fitted (progress bars): `done` of `total`. */
  readonly onCandidate?: (done: number, total: number) => void;
}

/** The result scripts read (`mlops garch fit --json`). */
export interface GarchJobOutput {
  readonly run_id: string;
  readonly model: { readonly name: string; readonly version: number };
  /** The selected model. */
  readonly spec: { readonly p: number; readonly q: number; readonly dist: DistName };
  readonly metrics: { readonly log_likelihood: number; readonly aic: number; readonly bic: number };
  /** Candidates fitted during order selection. */
  readonly candidates: number;
  readonly fit_ms: number;
  readonly data_hash: string;
  readonly artifact: string;
}

/**
 * Selects and fits a GARCH(p, q) model with `@mlops/garch` (orders up to maxP/maxQ, each
 * distribution, lowest criterion), tracks the run, and registers a version of kind `garch` whose
 * artifact is the stored fit (`GarchFit.toJSON()`, which `GarchFit.fromJSON` restores to forecast).
 * A call refused for a reason that needs no fit (its options, the series, a name holding another
 * kind of model, an unusable artifact folder) records no run.
 */
export async function runGarchJob(input: GarchJobInput): Promise<GarchJobOutput> {
  const name = NameSchema.safeParse(input.name);
  if (!name.success)
    throw new OptionError("name", name.error.issues[0]?.message ?? "is not valid", input.name);
  const bytes = await readDataFile(input.data);
  const { column, returns } = readReturns(new TextDecoder().decode(bytes), input.column);
  const dataHash = sha256(bytes);
  const options = {
    maxP: input.maxP ?? 2,
    maxQ: input.maxQ ?? 2,
    dists: input.dists ?? (["normal", "t"] as const),
    criterion: input.criterion ?? "bic",
  };
  // Bad options or a series no candidate can fit are refused before a run is recorded.
  checkSelection(returns, options);
  // So are a name that holds classifiers and an artifact folder that cannot be made.
  await requireModelKind(input.store, input.name, "garch");
  requireArtifactRoot(input.artifactRoot);
  const params: Params = {
    max_p: options.maxP,
    max_q: options.maxQ,
    dists: options.dists.join(","),
    criterion: options.criterion,
    column,
    data: input.data,
  };
  const gitSha = input.gitSha === undefined ? await headCommit() : input.gitSha;
  const tracker = input.tracker ?? input.store.runs;
  const { run_id: runId } = await tracker.create({
    run_id: randomUUID().replaceAll("-", ""),
    experiment_name: input.name,
    run_name: `garch fit ${input.name}`,
    start_time: Date.now(),
    params,
    tags: {
      "mlops.git_sha": gitSha ?? "unknown",
      "mlops.data_hash": dataHash,
      "mlops.host": hostname(),
      "mlops.kind": "garch",
    },
  });
  try {
    const start = performance.now();
    const selection = selectOrder(returns, {
      ...options,
      ...(input.onCandidate ? { onCandidate: input.onCandidate } : {}),
    });
    const fitMs = performance.now() - start;
    const best = selection.best;
    const metrics = { log_likelihood: best.logLikelihood, aic: best.aic, bic: best.bic };
    const now = Date.now();
    await tracker.logMetrics(
      runId,
      Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: now })),
    );
    const model = garchModelFile(best);
    const dir = join(input.artifactRoot, runId, "model");
    prepareArtifactFolder(input.artifactRoot, dir);
    const modelParams: Params = { ...params, p: best.spec.p, q: best.spec.q, dist: best.spec.dist };
    const version = await registerVersion(
      input.store.models,
      {
        name: input.name,
        kind: "garch",
        run_id: runId,
        data_hash: dataHash,
        git_sha: gitSha,
        params: modelParams,
        metrics,
        artifact: artifactRef(dir, model),
        description: `GARCH(${best.spec.p},${best.spec.q}) with ${best.spec.dist} errors on ${column}`,
      },
      (pending) => {
        const manifest = modelManifest(
          {
            name: input.name,
            version: pending.version,
            kind: "garch",
            feature_schema: { kind: "garch", series: column },
            metrics,
            params: modelParams,
            seed: 0,
            data_hash: dataHash,
            git_sha: gitSha,
            run_id: runId,
            created: new Date().toISOString(),
          },
          model,
        );
        return writeArtifact(dir, {
          manifest,
          model,
          card: renderGarchCard({
            manifest,
            fit: best,
            candidates: selection.candidates,
            criterion: options.criterion,
            dataSource: input.data,
          }),
        });
      },
    );
    // Mirrored once the files exist: the mirror hands them to the registry it copies into.
    await input.mirror?.versionRegistered(version);
    await tracker.addArtifacts(runId, [{ path: "model", uri: dir }]);
    await tracker.setTags(runId, { "mlops.model": `${input.name}@${version.version}` });
    await tracker.finish(runId, "FINISHED", Date.now());
    return {
      run_id: runId,
      model: { name: input.name, version: version.version },
      spec: { p: best.spec.p, q: best.spec.q, dist: best.spec.dist },
      metrics,
      candidates: selection.candidates.length,
      fit_ms: fitMs,
      data_hash: dataHash,
      artifact: dir,
    };
  } catch (error) {
    await tracker.setTags(runId, {
      "mlops.error": error instanceof Error ? error.message : String(error),
    });
    await tracker.finish(runId, "FAILED", Date.now());
    throw error;
  }
}

/**
 * The returns column of a CSV (`@mlops/garch`'s series reader): every cell a finite decimal,
 * errors naming row, line and column. Without `wanted` the file must have one column.
 */
function readReturns(
  text: string,
  wanted: string | undefined,
): { column: string; returns: Float64Array } {
  const table = withDatasetErrors(() => parseCsv(text));
  const names = table.header;
  const column = wanted ?? (names.length === 1 ? names[0] : undefined);
  if (column === undefined) {
    throw new OptionError(
      "column",
      `is required when the file has several columns (${names.join(", ")}): name the returns column with --column`,
      undefined,
    );
  }
  if (!names.includes(column))
    throw new DatasetError(`the returns column is missing (columns: ${names.join(", ")})`, {
      column,
    });
  return { column, returns: withDatasetErrors(() => tableSeries(table, column)).values };
}
