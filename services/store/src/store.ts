/**
 * The one interface both adapters implement. Records are the `@mlops/contracts` shapes; inputs
 * are validated at the repository boundary (a bad record fails with a `ContractValidationError`
 * naming the field), so the adapters below trust their types.
 */
import type {
  AggregateQuery,
  AssignmentGroup,
  Decision,
  Experiment,
  ExperimentInput,
  ExperimentState,
  JoinedPair,
  MetricPoint,
  ModelKind,
  ModelRef,
  ModelVersion,
  ModelVersionInput,
  ModelVersionStatus,
  OutcomeRecord,
  Params,
  PredictionRecord,
  PredictionRecordInput,
  RunArtifact,
  RunInput,
  RunStatus,
  Tags,
  TimeWindow,
  TrackedRun,
  VariantAggregate,
  VariantUnits,
} from "@mlops/contracts";

/** A precondition on an alias: the version it must point at now (null: it must be unset). */
export interface AliasPrecondition {
  readonly expectedVersion?: number | null;
}

/** A registered model with its newest version and aliases. */
export interface ModelSummary {
  readonly name: string;
  readonly kind: ModelKind;
  /** The newest version of any status. */
  readonly latest_version: number;
  /** The newest READY version, which the bare name resolves to; null while none is. */
  readonly ready_version: number | null;
  readonly aliases: Readonly<Record<string, number>>;
}

/** Model versions and aliases. */
export interface ModelRepository {
  /**
   * Register a new version, PENDING_REGISTRATION until `finishRegistration`: the next integer
   * after the newest version of `input.name`, assigned atomically (concurrent registrations get
   * distinct numbers). `registerVersion` pairs the two around writing the version's files.
   */
  register(input: ModelVersionInput): Promise<ModelVersion>;
  /**
   * Ends a pending registration: READY once the version's files are written, FAILED_REGISTRATION
   * when they could not be. Fails with `StoreConflictError` if the version is not pending.
   */
  finishRegistration(
    name: string,
    version: number,
    status: Exclude<ModelVersionStatus, "PENDING_REGISTRATION">,
  ): Promise<ModelVersion>;
  /** One version, or null. */
  get(name: string, version: number): Promise<ModelVersion | null>;
  /**
   * The version a reference names (`name@3`, `name@champion`, or `name`: the newest READY
   * version); throws `StoreNotFoundError`.
   */
  resolve(ref: ModelRef | string): Promise<ModelVersion>;
  /** Every version of `name`, newest first. */
  list(name: string): Promise<ModelVersion[]>;
  /** Every registered model, by name. */
  summaries(): Promise<ModelSummary[]>;
  /** alias → version for `name`. */
  aliases(name: string): Promise<Record<string, number>>;
  /**
   * Point `alias` at `version` atomically; only a READY version takes one (`StoreConflictError`).
   * With `expectedVersion`, fails with `StoreConflictError` if the alias moved (stale read); at
   * any time one version holds an alias.
   */
  setAlias(name: string, alias: string, version: number, pre?: AliasPrecondition): Promise<void>;
  /** Remove `alias`; with `expectedVersion`, only if it still points there. */
  deleteAlias(name: string, alias: string, pre?: AliasPrecondition): Promise<void>;
}

/** Filters for listing runs. */
export interface RunFilter {
  readonly experimentName?: string;
  readonly parentRunId?: string;
}

/** Tracked runs (MLflow's model: params, metric histories, tags, artifacts). */
export interface RunRepository {
  /** Start a run (status RUNNING); `StoreConflictError` if the id exists. */
  create(input: RunInput): Promise<TrackedRun>;
  get(runId: string): Promise<TrackedRun | null>;
  /** Add params; an existing key keeps its value unless the new one is equal (MLflow's rule). */
  logParams(runId: string, params: Params): Promise<void>;
  /** Append metric points; histories come back ordered by step, then by logging order. */
  logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void>;
  /** Set (or overwrite) tags. */
  setTags(runId: string, tags: Tags): Promise<void>;
  addArtifacts(runId: string, artifacts: readonly RunArtifact[]): Promise<void>;
  /** End the run with a terminal status. */
  finish(runId: string, status: Exclude<RunStatus, "RUNNING">, endTime: number): Promise<void>;
  /** Runs matching `filter`, oldest first. */
  list(filter?: RunFilter): Promise<TrackedRun[]>;
}

/** Experiment definitions and their append-only decisions. */
export interface ExperimentRepository {
  /** Define an experiment; `StoreConflictError` if the id exists. */
  create(input: ExperimentInput, now?: number): Promise<Experiment>;
  get(id: string): Promise<Experiment | null>;
  list(): Promise<Experiment[]>;
  /** Change the state; with `expected`, fails with `StoreConflictError` if it changed meanwhile. */
  setState(id: string, state: ExperimentState, expected?: ExperimentState): Promise<Experiment>;
  /** Append a decision (idempotent by decision id). */
  appendDecision(decision: Decision): Promise<void>;
  /** Decisions of an experiment, oldest first. */
  decisions(experimentId: string): Promise<Decision[]>;
}

/** What a batch write did: `inserted` new records, the rest were already stored. */
export interface WriteResult {
  readonly inserted: number;
}

/** Which joined pairs to read. */
export interface JoinedQuery {
  readonly experiment_id: string;
  readonly variant: string;
  readonly window?: TimeWindow;
}

/** Prediction logs. */
export interface PredictionRepository {
  /**
   * Write records; idempotent by `request_id` (a retried batch never duplicates). A record without
   * `assignment` is stored as `unknown`.
   */
  insertMany(records: readonly PredictionRecordInput[]): Promise<WriteResult>;
  /**
   * `insertMany` for records that are valid by construction: built by typed code from input
   * already checked at the edge, as the serving log's are. They are written without being
   * checked again (on a busy server the second check was a quarter of the log writer's CPU).
   */
  insertValidated(records: readonly PredictionRecord[]): Promise<WriteResult>;
  /** One record; stored before assignments were recorded, it reads as `unknown`. */
  get(requestId: string): Promise<PredictionRecord | null>;
  /** Sufficient statistics per requested variant, in the order of `query.variants`. */
  aggregate(query: AggregateQuery): Promise<VariantAggregate[]>;
  /**
   * Users, units and the outcome metrics' per-unit terms per requested variant, in the order of
   * `query.variants` (`VariantUnits`): what the analysis reads where the user is the unit. It
   * groups the window's records by unit, several times the aggregate's cost, so the aggregate
   * leaves it out.
   */
  units(query: AggregateQuery): Promise<VariantUnits[]>;
  /**
   * The configurations (assignment and challenger weight) that assigned the query's predictions,
   * with a count per requested variant and their first and last prediction time, oldest first.
   */
  assignments(query: AggregateQuery): Promise<AssignmentGroup[]>;
  /** How many users (non-null `user_id`) have predictions on more than one requested variant. */
  usersInSeveralArms(query: AggregateQuery): Promise<number>;
  /** Predictions of one variant that have an outcome, in time order. */
  joined(query: JoinedQuery): AsyncIterable<JoinedPair>;
}

/** Outcomes (ground truth posted after the prediction). */
export interface OutcomeRepository {
  /** Write outcomes; idempotent by `request_id` (the first outcome for a request wins). */
  insertMany(records: readonly OutcomeRecord[]): Promise<WriteResult>;
  get(requestId: string): Promise<OutcomeRecord | null>;
}

/** A store: the repositories over one backend. */
export interface Store {
  /** The store's name in errors and logs: `sqlite:<path>` or `cosmos <endpoint>`. */
  readonly name: string;
  readonly models: ModelRepository;
  readonly runs: RunRepository;
  readonly experiments: ExperimentRepository;
  readonly predictions: PredictionRepository;
  readonly outcomes: OutcomeRepository;
  /** Resolves when the store answers; `StoreUnavailableError` otherwise (bounded by a timeout). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
