import { eachLimited, type MetricPoint, type RunArtifact, type TrackedRun } from "@mlops/contracts";
import { z } from "zod";
import { ARTIFACT_TAG_PREFIX, MlflowId, PARENT_RUN_TAG, RUN_NAME_TAG } from "./mlflow.js";
import { MlflowError, type MlflowRestClient } from "./mlflow-client.js";
import type { RunReader } from "./tracker.js";

/** Runs (and experiments) asked for per page; MLflow allows up to 50 000 (`runs/search`). */
const PAGE = 1000;

/**
 * Metric histories fetched at once by `get`: a run may log thousands of keys, and a tracking
 * server that throttles (Azure ML's does) refuses a burst of one request per key.
 */
const HISTORY_CONCURRENCY = 8;

/**
 * Every item of a paged endpoint: `fetch` gets the page after `token` (undefined: the first) and
 * its items. A token the server already handed out would page forever, so it is an
 * {@link MlflowError} naming `endpoint`.
 */
async function allPages<T>(
  endpoint: string,
  fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.next || undefined;
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new MlflowError(
          200,
          "REPEATED_PAGE_TOKEN",
          `MLflow ${endpoint}: next_page_token ${JSON.stringify(token.slice(0, 40))} was already given; the server pages in a loop`,
        );
      }
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}

/** Metric values as MLflow's JSON writes them: numbers, and `"NaN"`/`"Infinity"` as protobuf does. */
const MetricValue = z.union([
  z.number(),
  z.enum(["NaN", "Infinity", "-Infinity"]).transform(Number),
]);
const MetricSchema = z.object({
  key: z.string(),
  value: MetricValue,
  timestamp: z.number().int(),
  step: z.number().int().default(0),
});
const PairsSchema = z.array(z.object({ key: z.string(), value: z.string() })).default([]);
/** A run as `runs/get` and `runs/search` answer it (REST reference, `Run`). */
const MlflowRunSchema = z.object({
  info: z.object({
    run_id: MlflowId,
    experiment_id: MlflowId,
    run_name: z.string().optional(),
    status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]),
    start_time: z.number().int(),
    end_time: z.number().int().nullish(),
  }),
  data: z
    .object({ metrics: z.array(MetricSchema).default([]), params: PairsSchema, tags: PairsSchema })
    .default({ metrics: [], params: [], tags: [] }),
});
type MlflowRun = z.infer<typeof MlflowRunSchema>;

const ExperimentSchema = z.object({ experiment_id: MlflowId, name: z.string() });
const FoundExperimentSchema = z.object({ experiment: ExperimentSchema });
const GotRunSchema = z.object({ run: MlflowRunSchema });
const NextPage = z.string().optional();
const ExperimentPageSchema = z.object({
  experiments: z.array(ExperimentSchema).default([]),
  next_page_token: NextPage,
});
const RunPageSchema = z.object({
  runs: z.array(MlflowRunSchema).default([]),
  next_page_token: NextPage,
});
const HistoryPageSchema = z.object({
  metrics: z.array(MetricSchema).default([]),
  next_page_token: NextPage,
});

/**
 * Reads the runs an MLflow tracking server holds as {@link TrackedRun}s, the inverse of what
 * {@link MlflowTracker} writes: the run name and parent are their `mlflow.*` tags, artifacts their
 * `mlops.artifact.<path>` tags. `get` holds every metric's history (`metrics/get-history`); `list`
 * holds each metric's latest point only, which is all `runs/search` answers with. Deleted runs
 * and experiments are not read, as MLflow's own listings leave them out.
 */
export class MlflowRunReader implements RunReader {
  constructor(private readonly client: MlflowRestClient) {}

  async get(runId: string): Promise<TrackedRun | null> {
    let run: MlflowRun;
    try {
      run = (
        await this.client.call(
          "GET",
          `runs/get?run_id=${encodeURIComponent(runId)}`,
          undefined,
          GotRunSchema,
        )
      ).run;
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === "RESOURCE_DOES_NOT_EXIST") {
        return null;
      }
      throw error;
    }
    const { experiment } = await this.client.call(
      "GET",
      `experiments/get?experiment_id=${encodeURIComponent(run.info.experiment_id)}`,
      undefined,
      FoundExperimentSchema,
    );
    const keys = [...new Set(run.data.metrics.map((m) => m.key))];
    // Kept in the keys' order, whichever answers first.
    const histories: MetricPoint[][] = [];
    await eachLimited([...keys.entries()], HISTORY_CONCURRENCY, async ([i, key]) => {
      histories[i] = await this.history(runId, key);
    });
    return trackedRun(run, experiment.name, histories.flat());
  }

  /** The runs of `experimentName` (of every experiment without one), oldest first. */
  async list(filter: { readonly experimentName?: string } = {}): Promise<TrackedRun[]> {
    const experiments = await this.experiments(filter.experimentName);
    if (experiments.size === 0) return [];
    const runs = await allPages("POST runs/search", async (token) => {
      const page = await this.client.call(
        "POST",
        "runs/search",
        {
          experiment_ids: [...experiments.keys()],
          max_results: PAGE,
          ...(token === undefined ? {} : { page_token: token }),
        },
        RunPageSchema,
      );
      return { items: page.runs, next: page.next_page_token };
    });
    return runs
      .map((run) =>
        trackedRun(run, experiments.get(run.info.experiment_id) ?? "", run.data.metrics),
      )
      .sort((a, b) => a.start_time - b.start_time);
  }

  /** The active experiments' names, runs or none, in the server's order (see {@link RunReader}). */
  async experimentNames(): Promise<string[]> {
    return [...(await this.experiments(undefined)).values()];
  }

  /**
   * Experiment id → name: the one named `name` (none if it does not exist), else every active one
   * in the server's order. As MLflow's REST API reference has them
   * (https://mlflow.org/docs/latest/rest-api.html): `GET experiments/get-by-name?experiment_name=`
   * answers `{experiment}`, or 404 `RESOURCE_DOES_NOT_EXIST` for a name no experiment has ("Get
   * Experiment By Name"); `POST experiments/search` takes `max_results` and `page_token`, answers
   * `experiments` and a `next_page_token` that is empty on the last page, and without `view_type`
   * lists active experiments only ("Search Experiments"). Without `order_by`, MLflow's own server
   * lists the newest created first (its SQL store's default: `creation_time DESC, experiment_id`).
   */
  private async experiments(name: string | undefined): Promise<Map<string, string>> {
    if (name !== undefined) {
      try {
        const { experiment } = await this.client.call(
          "GET",
          `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
          undefined,
          FoundExperimentSchema,
        );
        return new Map([[experiment.experiment_id, experiment.name]]);
      } catch (error) {
        if (error instanceof MlflowError && error.errorCode === "RESOURCE_DOES_NOT_EXIST") {
          return new Map();
        }
        throw error;
      }
    }
    const experiments = await allPages("POST experiments/search", async (token) => {
      const page = await this.client.call(
        "POST",
        "experiments/search",
        { max_results: PAGE, ...(token === undefined ? {} : { page_token: token }) },
        ExperimentPageSchema,
      );
      return { items: page.experiments, next: page.next_page_token };
    });
    return new Map(experiments.map((e) => [e.experiment_id, e.name]));
  }

  /** Every point of `key` the run logged. */
  private async history(runId: string, key: string): Promise<MetricPoint[]> {
    return allPages("GET metrics/get-history", async (token) => {
      const query = new URLSearchParams({ run_id: runId, metric_key: key });
      if (token !== undefined) query.set("page_token", token);
      const page = await this.client.call(
        "GET",
        `metrics/get-history?${query}`,
        undefined,
        HistoryPageSchema,
      );
      return { items: page.metrics, next: page.next_page_token };
    });
  }
}

/** `run` as the embedded store shows one, with `points` as its metric histories. */
function trackedRun(
  run: MlflowRun,
  experimentName: string,
  points: readonly MetricPoint[],
): TrackedRun {
  const tagged = new Map(run.data.tags.map((t) => [t.key, t.value]));
  const artifacts: RunArtifact[] = [];
  const tags: [string, string][] = [];
  for (const [key, value] of tagged) {
    if (key.startsWith(ARTIFACT_TAG_PREFIX)) {
      artifacts.push({ path: key.slice(ARTIFACT_TAG_PREFIX.length), uri: value });
    } else if (key !== RUN_NAME_TAG && key !== PARENT_RUN_TAG) tags.push([key, value]);
  }
  const histories = new Map<string, MetricPoint[]>();
  // Histories by step, then in the order logged (the embedded store's order).
  for (const { key, value, timestamp, step } of [...points].sort((a, b) => a.step - b.step)) {
    histories.set(key, [...(histories.get(key) ?? []), { key, value, timestamp, step }]);
  }
  return {
    run_id: run.info.run_id,
    experiment_name: experimentName,
    run_name: run.info.run_name ?? tagged.get(RUN_NAME_TAG) ?? "",
    parent_run_id: tagged.get(PARENT_RUN_TAG) ?? null,
    start_time: run.info.start_time,
    end_time: run.info.end_time ?? null,
    // A scheduled run (an Azure ML job waiting for its node) has not ended: it counts as running.
    status: run.info.status === "SCHEDULED" ? "RUNNING" : run.info.status,
    params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
    tags: Object.fromEntries(tags),
    metrics: Object.fromEntries(histories),
    artifacts,
  };
}
