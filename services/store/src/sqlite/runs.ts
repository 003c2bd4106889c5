/**
 * Tracked runs on SQLite: the run as JSON in `runs` (with its experiment, parent and start time
 * as indexed columns) and metric points as rows of `run_metrics`, in logging order (`seq`).
 */
import type { MetricPoint, TrackedRun } from "@mlops/contracts";
import { StoreNotFoundError } from "../errors.js";
import {
  checkRunEnd,
  endedRun,
  mergedTags,
  requireParamCount,
  requireParent,
  requirePlainRunKeys,
} from "../run-rules.js";
import { mergeParams, requirePlainKeys } from "../shared.js";
import type { RunFilter, RunRepository } from "../store.js";
import { check } from "../validate.js";
import type { SqliteCore } from "./connection.js";

/** What `runs.body` holds: the run without its metric histories. */
type RunBody = Omit<TrackedRun, "metrics">;

/** The run repository over `core`. */
export function sqliteRuns(core: SqliteCore): RunRepository {
  const { name, guard, sql, immediate, insertNew } = core;
  const r = {
    insert: sql(
      "INSERT INTO runs (run_id, experiment_name, parent_run_id, start_time, body) VALUES (?, ?, ?, ?, ?)",
    ),
    body: sql<{ body: string }>("SELECT body FROM runs WHERE run_id = ?"),
    update: sql("UPDATE runs SET body = ? WHERE run_id = ?"),
    metric: sql(
      "INSERT INTO run_metrics (run_id, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?)",
    ),
    metrics: sql<{ key: string; step: number; timestamp: number; value: number }>(
      "SELECT key, step, timestamp, value FROM run_metrics WHERE run_id = ? ORDER BY key, step, seq",
    ),
  };

  const runBody = (runId: string): RunBody => {
    const row = r.body.get(runId);
    if (row === undefined) throw new StoreNotFoundError(name, `run ${runId} does not exist`);
    return JSON.parse(row.body) as RunBody;
  };
  const withMetrics = (body: RunBody): TrackedRun => {
    const metrics: TrackedRun["metrics"] = {};
    for (const point of r.metrics.all(body.run_id)) {
      const history = metrics[point.key] ?? [];
      history.push(point);
      metrics[point.key] = history;
    }
    return { ...body, metrics };
  };
  /** Read-modify-write of a run's body inside one IMMEDIATE transaction. */
  const updateRun = immediate((runId: string, change: (body: RunBody) => RunBody) => {
    r.update.run(JSON.stringify(change(runBody(runId))), runId);
  });
  const appendMetrics = immediate((runId: string, points: readonly MetricPoint[]) => {
    runBody(runId);
    for (const pt of points) r.metric.run(runId, pt.key, pt.step, pt.timestamp, pt.value);
  });

  return {
    create: async (input) => {
      const parsed = check.runInput(requirePlainRunKeys(input));
      await requireParent(name, parsed, (id) => guard(() => r.body.get(id) !== undefined));
      return guard(() => {
        const body: RunBody = { ...parsed, status: "RUNNING", end_time: null, artifacts: [] };
        insertNew(
          () =>
            r.insert.run(
              body.run_id,
              body.experiment_name,
              body.parent_run_id,
              body.start_time,
              JSON.stringify(body),
            ),
          `run ${body.run_id} already exists`,
        );
        return { ...body, metrics: {} };
      });
    },
    get: async (runId) =>
      guard(() => {
        const row = r.body.get(runId);
        return row === undefined ? null : withMetrics(JSON.parse(row.body) as RunBody);
      }),
    logParams: async (runId, params) => {
      const added = check.params(requirePlainKeys("params", params));
      updateRun(runId, (body) => ({
        ...body,
        params: requireParamCount(body, mergeParams(name, body, added)),
      }));
    },
    logMetrics: async (runId, points) => appendMetrics(runId, check.metrics(points)),
    setTags: async (runId, tags) => {
      const added = check.tags(requirePlainKeys("tags", tags));
      updateRun(runId, (body) => ({ ...body, tags: mergedTags(body, added) }));
    },
    addArtifacts: async (runId, artifacts) => {
      const added = check.artifacts(artifacts);
      updateRun(runId, (body) => ({ ...body, artifacts: [...body.artifacts, ...added] }));
    },
    finish: async (runId, status, endTime) => {
      const end = checkRunEnd(status, endTime);
      updateRun(runId, (body) => endedRun(name, body, end));
    },
    list: async (filter: RunFilter = {}) =>
      guard(() => {
        const where: string[] = [];
        const args: unknown[] = [];
        if (filter.experimentName !== undefined) {
          where.push("experiment_name = ?");
          args.push(filter.experimentName);
        }
        if (filter.parentRunId !== undefined) {
          where.push("parent_run_id = ?");
          args.push(filter.parentRunId);
        }
        const clause = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
        return sql<{ body: string }>(`SELECT body FROM runs ${clause} ORDER BY start_time, run_id`)
          .all(...args)
          .map((row) => withMetrics(JSON.parse(row.body) as RunBody));
      }),
  };
}
