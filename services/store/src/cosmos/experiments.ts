/**
 * Experiments on Cosmos DB: one partition per experiment id holding its definition (id
 * `experiment`) and its append-only decisions (`decision-<id>`, so appending twice is a no-op).
 */
import type { Decision, Experiment, ExperimentInput, ExperimentState } from "@mlops/contracts";
import { StoreConflictError, StoreNotFoundError } from "../errors.js";
import type { ExperimentRepository } from "../store.js";
import { check } from "../validate.js";
import { type CosmosCore, stripMeta } from "./documents.js";

interface ExperimentDoc {
  id: "experiment";
  type: "experiment";
  experiment_id: string;
  body: Experiment;
}
interface DecisionDoc {
  id: string;
  type: "decision";
  experiment_id: string;
  decided_at: number;
  body: Decision;
}

/** The experiment repository over `core`. */
export function cosmosExperiments(core: CosmosCore): ExperimentRepository {
  const { name, now, query, read, create, update } = core;
  const container = core.containers.experiments;

  return {
    create: async (input: ExperimentInput, at = now()) => {
      const parsed = check.experimentInput(input);
      const experiment: Experiment = { ...parsed, created_at: at, updated_at: at };
      const doc: ExperimentDoc = {
        id: "experiment",
        type: "experiment",
        experiment_id: experiment.id,
        body: experiment,
      };
      if (!(await create(container, doc, `create experiment ${experiment.id}`))) {
        throw new StoreConflictError(name, `experiment ${experiment.id} already exists`);
      }
      return experiment;
    },
    get: async (id) =>
      (await read<ExperimentDoc>(container, "experiment", id, `read experiment ${id}`))?.doc.body ??
      null,
    list: async () => {
      const docs = await query<ExperimentDoc>(
        container,
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
        container,
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
      if ((await read(container, "experiment", parsed.experiment_id, "read experiment")) === null) {
        throw new StoreNotFoundError(name, `experiment ${parsed.experiment_id} does not exist`);
      }
      const doc: DecisionDoc = {
        id: `decision-${parsed.id}`,
        type: "decision",
        experiment_id: parsed.experiment_id,
        decided_at: parsed.decided_at,
        body: parsed,
      };
      await create(container, doc, `append decision ${parsed.id}`);
    },
    decisions: async (experimentId) => {
      const docs = await query<DecisionDoc>(
        container,
        `decisions of ${experimentId}`,
        "SELECT * FROM c WHERE c.experiment_id = @experiment AND c.type = 'decision'",
        [{ name: "@experiment", value: experimentId }],
        experimentId,
      );
      return docs
        .sort((a, b) => a.decided_at - b.decided_at || a.body.id.localeCompare(b.body.id))
        .map((d) => d.body);
    },
  };
}
