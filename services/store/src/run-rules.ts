/**
 * The rules of a run's life both adapters apply identically: how it ends, how many tags and params
 * it holds, which parent it names, and which keys it can hold.
 */
import {
  ContractValidationError,
  EpochMsSchema,
  MAX_PARAMS,
  MAX_TAGS,
  type Params,
  parseOrThrow,
  type RunInput,
  RunStatusSchema,
  type Tags,
  type TrackedRun,
} from "@mlops/contracts";
import { z } from "zod";
import { StoreConflictError, StoreNotFoundError } from "./errors.js";
import { requirePlainKeys } from "./shared.js";

/** How a run ends: a terminal status (MLflow's FINISHED, FAILED or KILLED) at an epoch time. */
const RunEndSchema = z.object({
  status: RunStatusSchema.exclude(["RUNNING"], {
    error: "must be FINISHED, FAILED or KILLED (a run ends in a terminal status)",
  }),
  end_time: EpochMsSchema,
});
export type RunEnd = z.infer<typeof RunEndSchema>;

/** `status` and `endTime` as a run's end; `ContractValidationError` naming the field otherwise. */
export function checkRunEnd(status: unknown, endTime: unknown): RunEnd {
  return parseOrThrow(RunEndSchema, { status, end_time: endTime }, "run end");
}

type RunState = Pick<TrackedRun, "run_id" | "start_time" | "status" | "end_time">;

/**
 * `run` ended as `end`. A run ends once: ending it again the same way is a retry and changes
 * nothing, any other end is a `StoreConflictError`. (MLflow's own stores let `runs/update` rewrite
 * an ended run, checking only that it is not deleted: mlflow/store/tracking/file_store.py and
 * sqlalchemy_store.py, `update_run_info` → `check_run_is_active`. Here the run is the record a
 * model version's lineage points at, and nothing reopens one, so its end stays as recorded.)
 */
export function endedRun<R extends RunState>(store: string, run: R, end: RunEnd): R {
  if (end.end_time < run.start_time) {
    throw new ContractValidationError("run end", [
      { path: "end_time", message: `must not be before the run's start_time (${run.start_time})` },
    ]);
  }
  if (run.status !== "RUNNING" && (run.status !== end.status || run.end_time !== end.end_time)) {
    throw new StoreConflictError(
      store,
      `run ${run.run_id} already ended ${run.status} at ${run.end_time}; an ended run cannot become ${end.status} at ${end.end_time}`,
    );
  }
  return { ...run, ...end };
}

/** `run`'s tags with `added`; at most MAX_TAGS in all, as at creation. */
export function mergedTags(
  run: { readonly run_id: string; readonly tags: Tags },
  added: Tags,
): Tags {
  const tags = { ...run.tags, ...added };
  requireAtMost("tags", run.run_id, Object.keys(tags).length, MAX_TAGS);
  return tags;
}

/** After `mergeParams`: at most MAX_PARAMS in all, as at creation. */
export function requireParamCount(run: { readonly run_id: string }, params: Params): Params {
  requireAtMost("params", run.run_id, Object.keys(params).length, MAX_PARAMS);
  return params;
}

function requireAtMost(what: string, runId: string, count: number, most: number): void {
  if (count > most) {
    throw new ContractValidationError(what, [
      { path: "(root)", message: `would give run ${runId} ${count} ${what}, more than ${most}` },
    ]);
  }
}

/** A new run's input with plain keys in its params and tags. */
export function requirePlainRunKeys(input: RunInput): RunInput {
  requirePlainKeys("run params", input.params);
  requirePlainKeys("run tags", input.tags);
  return input;
}

/**
 * A child run names another run that exists: `ContractValidationError` when it names itself,
 * `StoreNotFoundError` when `exists` does not find its parent. (Runs are never deleted, so a parent
 * found here is still there when the child is written.)
 */
export async function requireParent(
  store: string,
  run: { readonly run_id: string; readonly parent_run_id: string | null },
  exists: (runId: string) => boolean | Promise<boolean>,
): Promise<void> {
  const parent = run.parent_run_id;
  if (parent === null) return;
  if (parent === run.run_id) {
    throw new ContractValidationError("run", [
      { path: "parent_run_id", message: "must name another run, not the run itself" },
    ]);
  }
  if (!(await exists(parent))) {
    throw new StoreNotFoundError(store, `parent run ${parent} of run ${run.run_id} does not exist`);
  }
}
