/**
 * Tracked runs on Cosmos DB: one document per run, partitioned by run id; every change is an
 * ETag-conditioned read-modify-write of that document.
 */
import type { SqlParameter } from "@azure/cosmos";
import type { TrackedRun } from "@mlops/contracts";
import { StoreConflictError } from "../errors.js";
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
import { type CosmosCore, stripMeta } from "./documents.js";

type RunDoc = TrackedRun & { id: string };

function toRun(doc: RunDoc): TrackedRun {
  const { id: _id, ...rest } = stripMeta(doc);
  return rest as TrackedRun;
}

/** The run repository over `core`. */
export function cosmosRuns(core: CosmosCore): RunRepository {
  const { name, query, read, create, update } = core;
  const container = core.containers.runs;

  const updateRun = (runId: string, change: (run: RunDoc) => RunDoc) =>
    update<RunDoc>(container, runId, runId, `run ${runId}`, change).then(() => undefined);

  return {
    create: async (input) => {
      const parsed = check.runInput(requirePlainRunKeys(input));
      await requireParent(
        name,
        parsed,
        async (id) => (await read<RunDoc>(container, id, id, `read run ${id}`)) !== null,
      );
      const run: TrackedRun = {
        ...parsed,
        status: "RUNNING",
        end_time: null,
        metrics: {},
        artifacts: [],
      };
      if (!(await create(container, { ...run, id: run.run_id }, `create run ${run.run_id}`))) {
        throw new StoreConflictError(name, `run ${run.run_id} already exists`);
      }
      return run;
    },
    get: async (runId) => {
      const found = await read<RunDoc>(container, runId, runId, `read run ${runId}`);
      return found === null ? null : toRun(found.doc);
    },
    logParams: async (runId, params) => {
      const added = check.params(requirePlainKeys("params", params));
      await updateRun(runId, (run) => ({
        ...run,
        params: requireParamCount(run, mergeParams(name, run, added)),
      }));
    },
    logMetrics: async (runId, points) => {
      const added = check.metrics(points);
      await updateRun(runId, (run) => {
        const metrics = { ...run.metrics };
        for (const point of added) {
          // Stable insertion by step keeps logging order among equal steps.
          const history = [...(metrics[point.key] ?? []), point];
          metrics[point.key] = history.sort((a, b) => a.step - b.step);
        }
        return { ...run, metrics };
      });
    },
    setTags: async (runId, tags) => {
      const added = check.tags(requirePlainKeys("tags", tags));
      await updateRun(runId, (run) => ({ ...run, tags: mergedTags(run, added) }));
    },
    addArtifacts: async (runId, artifacts) => {
      const added = check.artifacts(artifacts);
      await updateRun(runId, (run) => ({ ...run, artifacts: [...run.artifacts, ...added] }));
    },
    finish: async (runId, status, endTime) => {
      const end = checkRunEnd(status, endTime);
      await updateRun(runId, (run) => endedRun(name, run, end));
    },
    list: async (filter: RunFilter = {}) => {
      const where = ["true"];
      const parameters: SqlParameter[] = [];
      if (filter.experimentName !== undefined) {
        where.push("c.experiment_name = @experiment");
        parameters.push({ name: "@experiment", value: filter.experimentName });
      }
      if (filter.parentRunId !== undefined) {
        where.push("c.parent_run_id = @parent");
        parameters.push({ name: "@parent", value: filter.parentRunId });
      }
      const docs = await query<RunDoc>(
        container,
        "list runs",
        `SELECT * FROM c WHERE ${where.join(" AND ")}`,
        parameters,
      );
      return docs
        .map(toRun)
        .sort((a, b) => a.start_time - b.start_time || a.run_id.localeCompare(b.run_id));
    },
  };
}
