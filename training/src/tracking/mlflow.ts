import type {
  MetricPoint,
  Params,
  RunArtifact,
  RunInput,
  RunStatus,
  Tags,
  TrackedRun,
} from "@mlops/contracts";
import { z } from "zod";
import { MlflowError, type MlflowRestClient } from "./mlflow-client.js";
import type { RunTracker } from "./tracker.js";

/** MLflow's log-batch limits per request (REST reference, `runs/log-batch`). */
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;

/** The tags a run's name, its parent and its artifacts are recorded as (`mlops.artifact.<path>`). */
export const RUN_NAME_TAG = "mlflow.runName";
export const PARENT_RUN_TAG = "mlflow.parentRunId";
export const ARTIFACT_TAG_PREFIX = "mlops.artifact.";

/** An experiment's or a run's id in MLflow's answers. */
export const MlflowId = z.string().min(1, { error: "must be a non-empty id" });
/** The parts of MLflow's answers the tracker reads (REST API reference, per endpoint). */
const CreatedRunSchema = z.object({ run: z.object({ info: z.object({ run_id: MlflowId }) }) });
const FoundExperimentSchema = z.object({ experiment: z.object({ experiment_id: MlflowId }) });
const CreatedExperimentSchema = z.object({ experiment_id: MlflowId });

/**
 * Tracks runs on an MLflow tracking server over its REST API (`/api/2.0/mlflow/…`): experiments
 * by name (created on first use), runs, params/metrics/tags through `log-batch` (split to its
 * limits), and status through `runs/update`. A parent run is the `mlflow.parentRunId` tag;
 * artifact locations are recorded as `mlops.artifact.<path>` tags.
 */
export class MlflowTracker implements RunTracker {
  private readonly experiments = new Map<string, string>();

  constructor(private readonly client: MlflowRestClient) {}

  async create(input: RunInput): Promise<TrackedRun> {
    const experimentId = await this.experimentId(input.experiment_name);
    const tags: Tags = { ...input.tags, [RUN_NAME_TAG]: input.run_name ?? "" };
    if (input.parent_run_id) tags[PARENT_RUN_TAG] = input.parent_run_id;
    const created = await this.client.call(
      "POST",
      "runs/create",
      {
        experiment_id: experimentId,
        run_name: input.run_name ?? "",
        start_time: input.start_time,
        tags: pairs(tags),
      },
      CreatedRunSchema,
    );
    const runId = created.run.info.run_id;
    await this.logBatch(runId, { params: input.params ?? {} });
    return {
      run_id: runId,
      experiment_name: input.experiment_name,
      run_name: input.run_name ?? "",
      parent_run_id: input.parent_run_id ?? null,
      start_time: input.start_time,
      params: input.params ?? {},
      tags,
      status: "RUNNING",
      end_time: null,
      metrics: {},
      artifacts: [],
    };
  }

  async logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void> {
    await this.logBatch(runId, { metrics: points });
  }

  async setTags(runId: string, tags: Tags): Promise<void> {
    await this.logBatch(runId, { tags });
  }

  async addArtifacts(runId: string, artifacts: readonly RunArtifact[]): Promise<void> {
    await this.setTags(
      runId,
      Object.fromEntries(artifacts.map((a) => [`${ARTIFACT_TAG_PREFIX}${a.path}`, a.uri])),
    );
  }

  async finish(
    runId: string,
    status: Exclude<RunStatus, "RUNNING">,
    endTime: number,
  ): Promise<void> {
    await this.client.call("POST", "runs/update", { run_id: runId, status, end_time: endTime });
  }

  private async experimentId(name: string): Promise<string> {
    const known = this.experiments.get(name);
    if (known) return known;
    let id: string;
    try {
      const found = await this.client.call(
        "GET",
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
        undefined,
        FoundExperimentSchema,
      );
      id = found.experiment.experiment_id;
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === "RESOURCE_DOES_NOT_EXIST"))
        throw error;
      id = (await this.client.call("POST", "experiments/create", { name }, CreatedExperimentSchema))
        .experiment_id;
    }
    this.experiments.set(name, id);
    return id;
  }

  private async logBatch(
    runId: string,
    batch: { metrics?: readonly MetricPoint[]; params?: Params; tags?: Tags },
  ): Promise<void> {
    const metrics = (batch.metrics ?? []).map(({ key, value, timestamp, step }) => ({
      key,
      value,
      timestamp,
      step,
    }));
    const params = Object.entries(batch.params ?? {}).map(([key, value]) => ({
      key,
      value: String(value),
    }));
    const tags = pairs(batch.tags ?? {});
    for (let m = 0, p = 0, t = 0; m < metrics.length || p < params.length || t < tags.length; ) {
      await this.client.call("POST", "runs/log-batch", {
        run_id: runId,
        metrics: metrics.slice(m, m + MAX_METRICS),
        params: params.slice(p, p + MAX_PARAMS),
        tags: tags.slice(t, t + MAX_TAGS),
      });
      m += MAX_METRICS;
      p += MAX_PARAMS;
      t += MAX_TAGS;
    }
  }
}

function pairs(record: Readonly<Record<string, string>>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}
