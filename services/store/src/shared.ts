/** Rules both adapters apply identically. */
import {
  type Assignment,
  type AssignmentGroup,
  ContractValidationError,
  type ModelKind,
  type ModelRef,
  type ModelVersion,
  type ModelVersionInput,
  type ModelVersionStatus,
  type Params,
  PROTO_KEY_RULE,
  type TimeWindow,
} from "@mlops/contracts";
import { StoreConflictError } from "./errors.js";
import { kindClash } from "./registration.js";

/** A reference as error messages show it. */
export function describeRef(ref: ModelRef): string {
  if (ref.selector === "latest") return `${ref.name} (its newest READY version)`;
  return ref.selector === "version" ? `${ref.name}@${ref.version}` : `${ref.name}@${ref.alias}`;
}

/** MLflow's rule: a param, once logged, keeps its value; logging a different value conflicts. */
export function mergeParams(
  store: string,
  run: { readonly run_id: string; readonly params: Params },
  added: Params,
): Params {
  for (const [key, value] of Object.entries(added)) {
    if (Object.hasOwn(run.params, key) && run.params[key] !== value) {
      throw new StoreConflictError(
        store,
        `run ${run.run_id} already has param ${key}=${String(run.params[key])}; params cannot change`,
      );
    }
  }
  return { ...run.params, ...added };
}

/** The conflict message of a stale alias move. */
export function staleAliasMessage(
  model: string,
  alias: string,
  current: number | null,
  expected: number | null,
): string {
  return `alias ${model}@${alias} points at ${current ?? "nothing"}, expected ${expected ?? "nothing"} (it moved since it was read)`;
}

/**
 * Only a READY version takes an alias: its files are known to be written. Throws
 * `StoreConflictError` for any other.
 */
export function requireReadyForAlias(store: string, version: ModelVersion, alias: string): void {
  if (version.status !== "READY") {
    throw new StoreConflictError(
      store,
      `model ${version.name} version ${version.version} is ${version.status}, and only a READY version can take an alias (${alias}): register it again`,
    );
  }
}

/**
 * One kind per model name: every reader of a name (a server loading `NAME@champion`, a promotion,
 * a model's card) expects the kind its versions have. `StoreConflictError` when `kind` differs
 * from the kind of the name's versions (`existing`, undefined for a new name).
 */
export function requireSameKind(
  store: string,
  model: string,
  existing: ModelKind | undefined,
  kind: ModelKind,
): void {
  const clash = kindClash(model, existing, kind);
  if (clash !== null) throw new StoreConflictError(store, clash);
}

/**
 * Params, metrics or tags as given, refused when they hold `__proto__`: zod's records skip that
 * key, so it would be dropped without a word.
 */
export function requirePlainKeys<T>(what: string, record: T): T {
  if (typeof record === "object" && record !== null && Object.hasOwn(record, "__proto__")) {
    throw new ContractValidationError(what, [{ path: "__proto__", message: PROTO_KEY_RULE }]);
  }
  return record;
}

/** A new model version's input with plain keys in its params and metrics. */
export function requirePlainModelKeys(input: ModelVersionInput): ModelVersionInput {
  requirePlainKeys("model version params", input.params);
  requirePlainKeys("model version metrics", input.metrics);
  return input;
}

/** A registration ends once, from PENDING_REGISTRATION; `StoreConflictError` otherwise. */
export function requirePendingRegistration(
  store: string,
  version: ModelVersion,
  to: ModelVersionStatus,
): void {
  if (version.status !== "PENDING_REGISTRATION") {
    throw new StoreConflictError(
      store,
      `model ${version.name} version ${version.version} is ${version.status}, not PENDING_REGISTRATION: it cannot become ${to}`,
    );
  }
}

/** The bounds `[from, to)` of a query window; without one, all time. */
export function windowBounds(window: TimeWindow | undefined): TimeWindow {
  return window ?? { from: 0, to: Number.MAX_SAFE_INTEGER };
}

/** One variant's predictions under one configuration, as an adapter counts them. */
export interface AssignmentCount {
  readonly variant: string;
  readonly assignment: Assignment;
  readonly challenger_weight: number | null;
  readonly count: number;
  /** Distinct user ids, plus each prediction without one (see `AssignmentGroup.units`). */
  readonly units: number;
  readonly first: number;
  readonly last: number;
}

/**
 * The configurations of `counts`, each with a count for every requested variant (0 where it had
 * none), oldest first.
 */
export function groupAssignments(
  variants: readonly string[],
  counts: readonly AssignmentCount[],
): AssignmentGroup[] {
  const groups = new Map<string, AssignmentGroup>();
  for (const c of counts) {
    if (c.count === 0) continue;
    const key = `${c.assignment}@${c.challenger_weight}`;
    const group = groups.get(key) ?? {
      assignment: c.assignment,
      challenger_weight: c.challenger_weight,
      predictions: Object.fromEntries(variants.map((v) => [v, 0])),
      units: Object.fromEntries(variants.map((v) => [v, 0])),
      first_timestamp: c.first,
      last_timestamp: c.last,
    };
    group.predictions[c.variant] = (group.predictions[c.variant] ?? 0) + c.count;
    // One row per variant and configuration: no user is counted twice.
    group.units[c.variant] = (group.units[c.variant] ?? 0) + c.units;
    groups.set(key, {
      ...group,
      first_timestamp: Math.min(group.first_timestamp, c.first),
      last_timestamp: Math.max(group.last_timestamp, c.last),
    });
  }
  return [...groups.values()].sort((a, b) => a.first_timestamp - b.first_timestamp);
}
