/**
 * Azure Cosmos DB (NoSQL API) adapter. Containers and partition keys come from `COSMOS_LAYOUT`
 * in `@mlops/contracts` (the same values `infra/` provisions). Conditional writes use ETags
 * (If-Match) and id uniqueness within a partition; prediction logs are written with bulk
 * operations; every call retries 429/503 with the server's hint and runs under a deadline.
 */

import {
  type Container,
  CosmosClient,
  type CosmosClientOptions,
  type Database,
  type ItemDefinition,
  type OperationInput,
  type SqlParameter,
} from "@azure/cosmos";
import type {
  CosmosContainerName,
  Decision,
  Experiment,
  ExperimentInput,
  ExperimentState,
  JoinedPair,
  ModelRef,
  ModelVersion,
  OutcomeRecord,
  PredictionRecord,
  StoreConfig,
  TrackedRun,
  VariantAggregate,
} from "@mlops/contracts";
import {
  StoreConflictError,
  StoreError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "../errors.js";
import { describeRef, mergeParams, staleAliasMessage } from "../shared.js";
import type {
  AliasPrecondition,
  JoinedQuery,
  ModelSummary,
  RunFilter,
  Store,
  WriteResult,
} from "../store.js";
import { outcomeTerms } from "../terms.js";
import { check } from "../validate.js";
import { openLayout } from "./layout.js";
import {
  DEFAULT_RETRY_POLICY,
  isTransient,
  type RetryPolicy,
  statusOf,
  withRetry,
} from "./retry.js";

export type { RetryPolicy } from "./retry.js";

/** Options of the Cosmos adapter. */
export interface CosmosStoreOptions {
  /** Credential when the config has no key; default `DefaultAzureCredential` (production only). */
  readonly credential?: NonNullable<CosmosClientOptions["aadCredentials"]>;
  /** Deadline of each request, retries included (default 15 s). */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Operations in flight at once for per-item work (default 16). */
  readonly concurrency?: number;
  readonly now?: () => number;
}

type CosmosConfig = Extract<StoreConfig, { kind: "cosmos" }>;

/** Outcome terms as numeric fields on the prediction document, zero until an outcome meets it. */
interface TermFields {
  t_has: 0 | 1;
  t_correct: number;
  t_vhas: 0 | 1;
  t_value: number;
  t_value_sq: number;
  t_lhas: 0 | 1;
  t_ll: number;
}
type PredictionDoc = PredictionRecord &
  TermFields & {
    id: string;
    is_error: 0 | 1;
    o_has?: 1;
    outcome?: string | number;
    outcome_timestamp?: number;
  };

const NO_TERMS: TermFields = {
  t_has: 0,
  t_correct: 0,
  t_vhas: 0,
  t_value: 0,
  t_value_sq: 0,
  t_lhas: 0,
  t_ll: 0,
};
const BULK_CHUNK = 100;
/** Attempts of an optimistic read-modify-write before it reports a conflict. */
const MAX_RACES = 100;
/** Bulk requests in flight at once: enough to keep several partitions busy, few enough to pace RUs. */
const BULK_PARALLEL = 4;

/** The document without the server's system properties (`_rid`, `_etag`, …). */
function stripMeta<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith("_"))) as T;
}

/** Connect, create the database and containers if missing, and return the store. */
export async function openCosmosStore(
  config: CosmosConfig,
  options: CosmosStoreOptions = {},
): Promise<Store> {
  const name = `cosmos ${config.endpoint}`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const concurrency = options.concurrency ?? 16;
  const now = options.now ?? Date.now;

  const auth =
    config.key !== null
      ? { key: config.key }
      : {
          aadCredentials:
            options.credential ?? new (await import("@azure/identity")).DefaultAzureCredential(),
        };
  const client = new CosmosClient({
    endpoint: config.endpoint,
    ...auth,
    connectionPolicy: {
      // Plain http is only ever the local emulator, whose account metadata advertises https
      // endpoints that do not exist; discovery must stay on for real multi-region accounts.
      enableEndpointDiscovery: !config.endpoint.startsWith("http:"),
      requestTimeout: timeoutMs,
      // Throttling is retried by `call` below, with our policy and deadline, not twice.
      retryOptions: {
        maxRetryAttemptCount: 0,
        fixedRetryIntervalInMilliseconds: 0,
        maxWaitTimeInSeconds: 0,
      },
    },
  });

  /** Run one SDK call under the retry policy and the deadline; map failures to store errors. */
  const call = async <T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let attempts = 0;
    try {
      return await withRetry(
        () => {
          attempts++;
          return op(signal);
        },
        policy,
        { signal },
      );
    } catch (error) {
      throw unavailable(error, what, attempts);
    }
  };

  const unavailable = (error: unknown, what: string, attempts: number): unknown => {
    if (error instanceof StoreError) return error;
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      return new StoreUnavailableError(name, `${what}: not authorised (${status})`, {
        cause: error,
      });
    }
    if (status !== undefined && isTransient(error)) {
      return new StoreUnavailableError(
        name,
        `${what}: still ${status} after ${attempts} attempts`,
        {
          cause: error,
        },
      );
    }
    if (status === undefined) {
      const aborted =
        (error as { name?: string }).name === "AbortError" ||
        (error as { name?: string }).name === "TimeoutError";
      const why = aborted
        ? `no answer within ${timeoutMs} ms`
        : `unreachable (${(error as Error).message})`;
      return new StoreUnavailableError(name, `${what}: ${why}`, { cause: error });
    }
    return error;
  };

  const { database, containers } = await openLayout(
    name,
    client,
    config.database,
    config.key !== null,
    call,
  );
  return cosmosStore(name, database, containers, { call, concurrency, now, client });
}

interface Runtime {
  call: <T>(what: string, op: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  concurrency: number;
  now: () => number;
  client: CosmosClient;
}

function cosmosStore(
  name: string,
  database: Database,
  c: Record<CosmosContainerName, Container>,
  { call, concurrency, now, client }: Runtime,
): Store {
  /**
   * A query; with `partitionKey` it is routed to that partition. Partition queries also filter
   * on the key in SQL: the emulator ignores the routing option, real Cosmos DB pays nothing for it.
   */
  const query = async <T>(
    container: Container,
    what: string,
    text: string,
    parameters: SqlParameter[],
    partitionKey?: string,
  ): Promise<T[]> =>
    call(what, async (abortSignal) => {
      const { resources } = await container.items
        .query<T>(
          { query: text, parameters },
          { abortSignal, ...(partitionKey === undefined ? {} : { partitionKey }) },
        )
        .fetchAll();
      return resources;
    });

  /**
   * Optimistic loops re-read after losing a race; under pathological contention they give up
   * with a conflict rather than spin forever.
   */
  const lostRaces = (race: number, what: string) => {
    if (race > MAX_RACES) {
      throw new StoreConflictError(name, `${what}: lost ${MAX_RACES} concurrent races in a row`);
    }
  };

  /** A point read; null on 404. */
  const read = async <T extends ItemDefinition>(
    container: Container,
    id: string,
    pk: string,
    what: string,
  ) =>
    call(what, async (abortSignal) => {
      const response = await container.item(id, pk).read<T>({ abortSignal });
      return response.statusCode === 404 || response.resource === undefined
        ? null
        : { doc: response.resource, etag: response.etag };
    });

  /** Create; false if the id exists (409). */
  const create = async (
    container: Container,
    doc: ItemDefinition,
    what: string,
  ): Promise<boolean> => {
    try {
      await call(what, (abortSignal) => container.items.create(doc, { abortSignal }));
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  };

  /** Replace only if unchanged since read; false on 412. */
  const replaceIfMatch = async (
    container: Container,
    doc: ItemDefinition,
    etag: string,
    pk: string,
    what: string,
  ) => {
    try {
      await call(what, (abortSignal) =>
        container
          .item(doc.id as string, pk)
          .replace(doc, { abortSignal, accessCondition: { type: "IfMatch", condition: etag } }),
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 412) return false;
      throw error;
    }
  };

  /** Read-modify-write with an ETag precondition, re-reading after a lost race. */
  const update = async <T extends ItemDefinition>(
    container: Container,
    id: string,
    pk: string,
    what: string,
    change: (doc: T) => T,
  ): Promise<T> => {
    for (let race = 1; ; race++) {
      lostRaces(race, what);
      const current = await read<T>(container, id, pk, what);
      if (current === null) throw new StoreNotFoundError(name, `${what}: not found`);
      const next = change(current.doc);
      if (await replaceIfMatch(container, next, current.etag as string, pk, what)) return next;
    }
  };

  // ---------------------------------------------------------------- models
  type VersionDoc = Omit<ModelVersion, "aliases"> & { id: string; type: "version" };
  type AliasDoc = {
    id: string;
    type: "alias";
    name: string;
    alias: string;
    version: number;
    updated_at: number;
  };
  const versionId = (v: number) => `version-${v}`;
  const aliasId = (a: string) => `alias-${a}`;

  const aliasesOf = async (model: string): Promise<Record<string, number>> => {
    const docs = await query<AliasDoc>(
      c.models,
      `aliases of ${model}`,
      "SELECT * FROM c WHERE c.name = @name AND c.type = 'alias'",
      [{ name: "@name", value: model }],
      model,
    );
    return Object.fromEntries(
      docs.map((d) => [d.alias, d.version]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  };
  const toVersion = (doc: VersionDoc, aliases: Record<string, number>): ModelVersion => {
    const {
      id: _id,
      type: _type,
      _rid,
      _self,
      _etag,
      _attachments,
      _ts,
      ...rest
    } = doc as VersionDoc & Record<string, unknown>;
    return {
      ...(rest as Omit<ModelVersion, "aliases">),
      aliases: Object.entries(aliases)
        .filter(([, v]) => v === doc.version)
        .map(([a]) => a),
    };
  };
  const getVersion = async (model: string, version: number) =>
    (await read<VersionDoc>(c.models, versionId(version), model, `read ${model}@${version}`))
      ?.doc ?? null;

  const moveAlias = async (
    model: string,
    alias: string,
    target: number | null,
    pre: AliasPrecondition | undefined,
  ) => {
    for (let race = 1; ; race++) {
      lostRaces(race, `move alias ${model}@${alias}`);
      const current = await read<AliasDoc>(
        c.models,
        aliasId(alias),
        model,
        `read alias ${model}@${alias}`,
      );
      const held = current?.doc.version ?? null;
      if (pre?.expectedVersion !== undefined && pre.expectedVersion !== held) {
        throw new StoreConflictError(
          name,
          staleAliasMessage(model, alias, held, pre.expectedVersion),
        );
      }
      let done: boolean;
      if (target === null) {
        if (current === null) return;
        done = await call(`delete alias ${model}@${alias}`, async (abortSignal) => {
          try {
            await c.models.item(aliasId(alias), model).delete({
              abortSignal,
              accessCondition: { type: "IfMatch", condition: current.etag as string },
            });
            return true;
          } catch (error) {
            if (statusOf(error) === 412 || statusOf(error) === 404) return false;
            throw error;
          }
        });
      } else {
        const doc: AliasDoc = {
          id: aliasId(alias),
          type: "alias",
          name: model,
          alias,
          version: target,
          updated_at: now(),
        };
        done =
          current === null
            ? await create(c.models, doc, `create alias ${model}@${alias}`)
            : await replaceIfMatch(
                c.models,
                doc,
                current.etag as string,
                model,
                `move alias ${model}@${alias}`,
              );
      }
      if (done) return;
      // Lost a race: with a precondition the re-read reports the conflict, without one we retry.
    }
  };

  // ---------------------------------------------------------------- runs
  type RunDoc = TrackedRun & { id: string };
  const toRun = (doc: RunDoc): TrackedRun => {
    const { id: _id, ...rest } = stripMeta(doc);
    return rest as TrackedRun;
  };
  const updateRun = (runId: string, change: (run: RunDoc) => RunDoc) =>
    update<RunDoc>(c.runs, runId, runId, `run ${runId}`, change).then(() => undefined);

  // ---------------------------------------------------------------- experiments
  type ExperimentDoc = {
    id: "experiment";
    type: "experiment";
    experiment_id: string;
    body: Experiment;
  };
  type DecisionDoc = {
    id: string;
    type: "decision";
    experiment_id: string;
    decided_at: number;
    body: Decision;
  };

  // ---------------------------------------------------------------- predictions
  const toDoc = (r: PredictionRecord): PredictionDoc => ({
    ...r,
    id: r.request_id,
    is_error: r.status === "error" ? 1 : 0,
    ...NO_TERMS,
  });
  const toRecord = (doc: PredictionDoc): PredictionRecord => ({
    request_id: doc.request_id,
    experiment_id: doc.experiment_id,
    variant: doc.variant,
    model_name: doc.model_name,
    model_version: doc.model_version,
    user_id: doc.user_id,
    prediction: doc.prediction,
    probabilities: doc.probabilities,
    latency_ms: doc.latency_ms,
    status: doc.status,
    timestamp: doc.timestamp,
  });
  const withOutcome = (doc: PredictionDoc, outcome: OutcomeRecord): PredictionDoc => {
    const terms = outcomeTerms(doc, outcome.outcome);
    const fields: TermFields =
      terms === null
        ? NO_TERMS
        : {
            t_has: 1,
            t_correct: terms.correct,
            t_vhas: terms.value === null ? 0 : 1,
            t_value: terms.value ?? 0,
            t_value_sq: terms.value === null ? 0 : terms.value * terms.value,
            t_lhas: terms.logLoss === null ? 0 : 1,
            t_ll: terms.logLoss ?? 0,
          };
    return {
      ...doc,
      ...fields,
      o_has: 1,
      outcome: outcome.outcome,
      outcome_timestamp: outcome.timestamp,
    };
  };

  /** Fold an outcome into its prediction document, if that is stored and not yet joined. */
  const join = async (outcome: OutcomeRecord) => {
    for (let race = 1; ; race++) {
      lostRaces(race, `join outcome ${outcome.request_id}`);
      const current = await read<PredictionDoc>(
        c.predictions,
        outcome.request_id,
        outcome.request_id,
        "read prediction",
      );
      if (current === null || current.doc.o_has === 1) return;
      const next = withOutcome(stripMeta(current.doc), outcome);
      if (
        await replaceIfMatch(
          c.predictions,
          next,
          current.etag as string,
          outcome.request_id,
          "join outcome",
        )
      )
        return;
    }
  };

  /** Bulk-create documents; returns the ids that were new (409 = already stored). */
  const bulkCreate = async (
    container: Container,
    docs: ItemDefinition[],
    what: string,
  ): Promise<Set<string>> => {
    const created = new Set<string>();
    const chunks: ItemDefinition[][] = [];
    for (let i = 0; i < docs.length; i += BULK_CHUNK) chunks.push(docs.slice(i, i + BULK_CHUNK));
    await eachLimited(chunks, BULK_PARALLEL, async (chunk) => {
      let pending = chunk;
      // Throttled operations inside a bulk response are retried alone, under the same policy.
      await call(what, async () => {
        const ops: OperationInput[] = pending.map((resourceBody) => ({
          operationType: "Create",
          resourceBody,
        }));
        const results = await container.items.bulk(ops, { continueOnError: true });
        const retry: ItemDefinition[] = [];
        results.forEach((result, k) => {
          const doc = pending[k] as ItemDefinition;
          const failure = { code: result.statusCode };
          if (result.statusCode === 201) created.add(doc.id as string);
          else if (result.statusCode === 409) return;
          else if (isTransient(failure)) retry.push(doc);
          else {
            throw new StoreUnavailableError(
              name,
              `${what}: item ${doc.id} failed with ${result.statusCode}`,
              { cause: failure },
            );
          }
        });
        if (retry.length > 0) {
          pending = retry;
          throw Object.assign(new Error(`${what}: ${retry.length} operations throttled`), {
            code: 429,
          });
        }
      });
    });
    return created;
  };

  const inChunks = async <T>(
    items: readonly T[],
    size: number,
    fn: (chunk: T[]) => Promise<void>,
  ) => {
    for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
  };
  const eachLimited = async <T>(
    items: readonly T[],
    limit: number,
    fn: (item: T) => Promise<void>,
  ) => {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  };

  const windowOf = (w: { from: number; to: number } | undefined) =>
    w === undefined ? { from: 0, to: Number.MAX_SAFE_INTEGER } : w;

  const store: Store = {
    name,
    models: {
      register: async (input) => {
        const parsed = check.modelInput(input);
        for (let race = 1; ; race++) {
          lostRaces(race, `register ${parsed.name}`);
          const [max] = await query<number | undefined>(
            c.models,
            `latest version of ${parsed.name}`,
            "SELECT VALUE MAX(c.version) FROM c WHERE c.name = @name AND c.type = 'version'",
            [{ name: "@name", value: parsed.name }],
            parsed.name,
          );
          const version = (typeof max === "number" ? max : 0) + 1;
          const doc: VersionDoc = {
            ...parsed,
            version,
            created_at: now(),
            id: versionId(version),
            type: "version",
          };
          // Ids are unique per partition: of concurrent registrations of one number, one wins.
          if (await create(c.models, doc, `register ${parsed.name}`)) return toVersion(doc, {});
        }
      },
      get: async (model, version) => {
        const doc = await getVersion(model, version);
        return doc === null ? null : toVersion(doc, await aliasesOf(model));
      },
      resolve: async (refInput) => {
        const ref: ModelRef = check.modelRef(refInput);
        const aliases = await aliasesOf(ref.name);
        let doc: VersionDoc | null = null;
        if (ref.selector === "version") doc = await getVersion(ref.name, ref.version);
        else if (ref.selector === "alias") {
          const v = aliases[ref.alias];
          doc = v === undefined ? null : await getVersion(ref.name, v);
        } else {
          const [latest] = await query<VersionDoc>(
            c.models,
            `latest of ${ref.name}`,
            "SELECT TOP 1 * FROM c WHERE c.name = @name AND c.type = 'version' ORDER BY c.version DESC",
            [{ name: "@name", value: ref.name }],
            ref.name,
          );
          doc = latest ?? null;
        }
        if (doc === null)
          throw new StoreNotFoundError(name, `no model version matches ${describeRef(ref)}`);
        return toVersion(doc, aliases);
      },
      list: async (model) => {
        const docs = await query<VersionDoc>(
          c.models,
          `versions of ${model}`,
          "SELECT * FROM c WHERE c.name = @name AND c.type = 'version' ORDER BY c.version DESC",
          [{ name: "@name", value: model }],
          model,
        );
        const aliases = await aliasesOf(model);
        return docs.map((d) => toVersion(d, aliases));
      },
      summaries: async () => {
        const rows = await query<{ name: string; kind: ModelSummary["kind"]; version: number }>(
          c.models,
          "list models",
          "SELECT c.name, c.kind, c.version FROM c WHERE c.type = 'version'",
          [],
        );
        const latest = new Map<string, { kind: ModelSummary["kind"]; version: number }>();
        for (const r of rows) {
          const seen = latest.get(r.name);
          if (seen === undefined || r.version > seen.version)
            latest.set(r.name, { kind: r.kind, version: r.version });
        }
        const names = [...latest.keys()].sort();
        return Promise.all(
          names.map(async (model): Promise<ModelSummary> => {
            const l = latest.get(model) as { kind: ModelSummary["kind"]; version: number };
            return {
              name: model,
              kind: l.kind,
              latest_version: l.version,
              aliases: await aliasesOf(model),
            };
          }),
        );
      },
      aliases: aliasesOf,
      setAlias: async (model, alias, version, pre) => {
        check.name(model);
        check.alias(alias);
        check.version(version);
        if ((await getVersion(model, version)) === null) {
          throw new StoreNotFoundError(name, `model ${model} has no version ${version}`);
        }
        await moveAlias(model, alias, version, pre);
      },
      deleteAlias: (model, alias, pre) => moveAlias(model, alias, null, pre),
    },
    runs: {
      create: async (input) => {
        const parsed = check.runInput(input);
        const run: TrackedRun = {
          ...parsed,
          status: "RUNNING",
          end_time: null,
          metrics: {},
          artifacts: [],
        };
        if (!(await create(c.runs, { ...run, id: run.run_id }, `create run ${run.run_id}`))) {
          throw new StoreConflictError(name, `run ${run.run_id} already exists`);
        }
        return run;
      },
      get: async (runId) => {
        const found = await read<RunDoc>(c.runs, runId, runId, `read run ${runId}`);
        return found === null ? null : toRun(found.doc);
      },
      logParams: async (runId, params) => {
        const added = check.params(params);
        await updateRun(runId, (run) => ({ ...run, params: mergeParams(name, run, added) }));
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
        const added = check.tags(tags);
        await updateRun(runId, (run) => ({ ...run, tags: { ...run.tags, ...added } }));
      },
      addArtifacts: async (runId, artifacts) => {
        const added = check.artifacts(artifacts);
        await updateRun(runId, (run) => ({ ...run, artifacts: [...run.artifacts, ...added] }));
      },
      finish: (runId, status, endTime) =>
        updateRun(runId, (run) => ({ ...run, status, end_time: endTime })),
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
          c.runs,
          "list runs",
          `SELECT * FROM c WHERE ${where.join(" AND ")}`,
          parameters,
        );
        return docs
          .map(toRun)
          .sort((a, b) => a.start_time - b.start_time || a.run_id.localeCompare(b.run_id));
      },
    },
    experiments: {
      create: async (input: ExperimentInput, at = now()) => {
        const parsed = check.experimentInput(input);
        const experiment: Experiment = { ...parsed, created_at: at, updated_at: at };
        const doc: ExperimentDoc = {
          id: "experiment",
          type: "experiment",
          experiment_id: experiment.id,
          body: experiment,
        };
        if (!(await create(c.experiments, doc, `create experiment ${experiment.id}`))) {
          throw new StoreConflictError(name, `experiment ${experiment.id} already exists`);
        }
        return experiment;
      },
      get: async (id) =>
        (await read<ExperimentDoc>(c.experiments, "experiment", id, `read experiment ${id}`))?.doc
          .body ?? null,
      list: async () => {
        const docs = await query<ExperimentDoc>(
          c.experiments,
          "list experiments",
          "SELECT * FROM c WHERE c.type = 'experiment'",
          [],
        );
        return docs
          .map((d) => d.body)
          .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
      },
      setState: async (id: string, state: ExperimentState, expected?: ExperimentState) => {
        const doc = await update<ExperimentDoc>(
          c.experiments,
          "experiment",
          id,
          `experiment ${id}`,
          (current) => {
            if (expected !== undefined && current.body.state !== expected) {
              throw new StoreConflictError(
                name,
                `experiment ${id} is ${current.body.state}, expected ${expected} (it changed since it was read)`,
              );
            }
            return {
              ...stripMeta(current),
              body: { ...current.body, state, updated_at: now() },
            };
          },
        ).catch((error: unknown) => {
          if (error instanceof StoreNotFoundError)
            throw new StoreNotFoundError(name, `experiment ${id} does not exist`);
          throw error;
        });
        return doc.body;
      },
      appendDecision: async (decision: Decision) => {
        const parsed = check.decision(decision);
        if (
          (await read(c.experiments, "experiment", parsed.experiment_id, "read experiment")) ===
          null
        ) {
          throw new StoreNotFoundError(name, `experiment ${parsed.experiment_id} does not exist`);
        }
        const doc: DecisionDoc = {
          id: `decision-${parsed.id}`,
          type: "decision",
          experiment_id: parsed.experiment_id,
          decided_at: parsed.decided_at,
          body: parsed,
        };
        await create(c.experiments, doc, `append decision ${parsed.id}`);
      },
      decisions: async (experimentId) => {
        const docs = await query<DecisionDoc>(
          c.experiments,
          `decisions of ${experimentId}`,
          "SELECT * FROM c WHERE c.experiment_id = @experiment AND c.type = 'decision'",
          [{ name: "@experiment", value: experimentId }],
          experimentId,
        );
        return docs
          .sort((a, b) => a.decided_at - b.decided_at || a.body.id.localeCompare(b.body.id))
          .map((d) => d.body);
      },
    },
    predictions: {
      insertMany: async (records): Promise<WriteResult> => {
        const parsed = check.predictions(records);
        const docs = parsed.map(toDoc);
        const created = await bulkCreate(c.predictions, docs, "write prediction logs");
        // Outcomes that arrived before their prediction was logged are joined now.
        const fresh = docs.filter((d) => created.has(d.id));
        await inChunks(fresh, BULK_CHUNK, async (chunk) => {
          const early = await query<OutcomeRecord>(
            c.outcomes,
            "find early outcomes",
            "SELECT c.request_id, c.outcome, c.timestamp FROM c WHERE ARRAY_CONTAINS(@ids, c.request_id)",
            [{ name: "@ids", value: chunk.map((d) => d.id) }],
          );
          await eachLimited(early, concurrency, join);
        });
        return { inserted: created.size };
      },
      get: async (requestId) => {
        const found = await read<PredictionDoc>(
          c.predictions,
          requestId,
          requestId,
          "read prediction",
        );
        return found === null ? null : toRecord(found.doc);
      },
      aggregate: async (queryInput) => {
        const parsed = check.aggregateQuery(queryInput);
        const { from, to } = windowOf(parsed.window);
        // One cross-partition aggregate per variant: no GROUP BY, which the emulator lacks.
        return Promise.all(
          parsed.variants.map(async (variant): Promise<VariantAggregate> => {
            const [row] = await query<Record<string, number | undefined>>(
              c.predictions,
              `aggregate ${parsed.experiment_id}/${variant}`,
              `SELECT COUNT(1) AS count, SUM(c.is_error) AS error_count,
                 SUM(c.latency_ms) AS latency_sum, SUM(c.latency_ms * c.latency_ms) AS latency_sum_sq,
                 SUM(c.t_has) AS outcome_count, SUM(c.t_correct) AS correct_count,
                 SUM(c.t_vhas) AS outcome_value_count, SUM(c.t_value) AS outcome_sum,
                 SUM(c.t_value_sq) AS outcome_sum_sq, SUM(c.t_lhas) AS log_loss_count,
                 SUM(c.t_ll) AS log_loss_sum, SUM(c.t_ll * c.t_ll) AS log_loss_sum_sq
               FROM c
               WHERE c.experiment_id = @experiment AND c.variant = @variant
                 AND c.timestamp >= @from AND c.timestamp < @to`,
              [
                { name: "@experiment", value: parsed.experiment_id },
                { name: "@variant", value: variant },
                { name: "@from", value: from },
                { name: "@to", value: to },
              ],
            );
            // Over no documents SUM may be absent: it means 0.
            const v = (key: string) => row?.[key] ?? 0;
            return {
              variant,
              count: v("count"),
              error_count: v("error_count"),
              latency_sum: v("latency_sum"),
              latency_sum_sq: v("latency_sum_sq"),
              outcome_count: v("outcome_count"),
              correct_count: v("correct_count"),
              outcome_value_count: v("outcome_value_count"),
              outcome_sum: v("outcome_sum"),
              outcome_sum_sq: v("outcome_sum_sq"),
              log_loss_count: v("log_loss_count"),
              log_loss_sum: v("log_loss_sum"),
              log_loss_sum_sq: v("log_loss_sum_sq"),
            };
          }),
        );
      },
      joined: (q: JoinedQuery) => iterateJoined(q),
    },
    outcomes: {
      insertMany: async (records): Promise<WriteResult> => {
        const parsed = check.outcomes(records);
        const docs = parsed.map((o) => ({ ...o, id: o.request_id }));
        const created = await bulkCreate(c.outcomes, docs, "write outcomes");
        await eachLimited(
          parsed.filter((o) => created.has(o.request_id)),
          concurrency,
          join,
        );
        return { inserted: created.size };
      },
      get: async (requestId) => {
        const found = await read<OutcomeRecord & ItemDefinition>(
          c.outcomes,
          requestId,
          requestId,
          "read outcome",
        );
        if (found === null) return null;
        return {
          request_id: found.doc.request_id,
          outcome: found.doc.outcome,
          timestamp: found.doc.timestamp,
        };
      },
    },
    ping: async () => {
      await call("ping", (abortSignal) => database.read({ abortSignal }));
    },
    close: async () => {
      client.dispose();
    },
  };

  async function* iterateJoined(input: JoinedQuery): AsyncGenerator<JoinedPair> {
    const q = check.joinedQuery(input);
    const { from, to } = windowOf(q.window);
    const iterator = c.predictions.items.query<PredictionDoc>(
      {
        query: `SELECT * FROM c WHERE c.experiment_id = @experiment AND c.variant = @variant
                AND c.timestamp >= @from AND c.timestamp < @to AND c.o_has = 1
                ORDER BY c.timestamp`,
        parameters: [
          { name: "@experiment", value: q.experiment_id },
          { name: "@variant", value: q.variant },
          { name: "@from", value: from },
          { name: "@to", value: to },
        ],
      },
      { maxItemCount: 1000 },
    );
    // Ties on timestamp are ordered by request id, as on SQLite, before they are yielded.
    let tie: PredictionDoc[] = [];
    const flush = function* (): Generator<JoinedPair> {
      tie.sort((a, b) => a.request_id.localeCompare(b.request_id));
      for (const doc of tie) {
        yield {
          request_id: doc.request_id,
          variant: doc.variant,
          timestamp: doc.timestamp,
          prediction: doc.prediction,
          probabilities: doc.probabilities,
          latency_ms: doc.latency_ms,
          status: doc.status,
          outcome: doc.outcome as string | number,
          outcome_timestamp: doc.outcome_timestamp as number,
        };
      }
      tie = [];
    };
    while (iterator.hasMoreResults()) {
      const { resources } = await call("read joined pairs", () => iterator.fetchNext());
      for (const doc of resources) {
        if (tie.length > 0 && (tie[0] as PredictionDoc).timestamp !== doc.timestamp) yield* flush();
        tie.push(doc);
      }
    }
    yield* flush();
  }

  return store;
}
