/**
 * Experiments on SQLite: definitions as JSON in `experiments`, decisions in `decisions` (keyed
 * by decision id, so appending twice is a no-op). A conditional state change is one IMMEDIATE
 * transaction.
 */
import type { Decision, Experiment, ExperimentInput, ExperimentState } from "@mlops/contracts";
import { StoreConflictError, StoreNotFoundError } from "../errors.js";
import type { ExperimentRepository } from "../store.js";
import { check } from "../validate.js";
import type { SqliteCore } from "./connection.js";

/** The experiment repository over `core`. */
export function sqliteExperiments(core: SqliteCore): ExperimentRepository {
  const { name, now, guard, sql, immediate, insertNew } = core;
  const e = {
    insert: sql("INSERT INTO experiments (id, created_at, body) VALUES (?, ?, ?)"),
    get: sql<{ body: string }>("SELECT body FROM experiments WHERE id = ?"),
    all: sql<{ body: string }>("SELECT body FROM experiments ORDER BY created_at, id"),
    update: sql("UPDATE experiments SET body = ? WHERE id = ?"),
    decision: sql(
      "INSERT OR IGNORE INTO decisions (id, experiment_id, decided_at, body) VALUES (?, ?, ?, ?)",
    ),
    decisions: sql<{ body: string }>(
      "SELECT body FROM decisions WHERE experiment_id = ? ORDER BY decided_at, id",
    ),
  };

  const setState = immediate(
    (id: string, state: ExperimentState, expected: ExperimentState | undefined): Experiment => {
      const row = e.get.get(id);
      if (row === undefined) throw new StoreNotFoundError(name, `experiment ${id} does not exist`);
      const current = JSON.parse(row.body) as Experiment;
      if (expected !== undefined && current.state !== expected) {
        throw new StoreConflictError(
          name,
          `experiment ${id} is ${current.state}, expected ${expected} (it changed since it was read)`,
        );
      }
      const next: Experiment = { ...current, state, updated_at: now() };
      e.update.run(JSON.stringify(next), id);
      return next;
    },
  );

  return {
    create: async (input: ExperimentInput, at = now()) =>
      guard(() => {
        const parsed = check.experimentInput(input);
        const experiment: Experiment = { ...parsed, created_at: at, updated_at: at };
        insertNew(
          () => e.insert.run(experiment.id, at, JSON.stringify(experiment)),
          `experiment ${experiment.id} already exists`,
        );
        return experiment;
      }),
    get: async (id) =>
      guard(() => {
        const row = e.get.get(id);
        return row === undefined ? null : (JSON.parse(row.body) as Experiment);
      }),
    list: async () => guard(() => e.all.all().map((row) => JSON.parse(row.body) as Experiment)),
    setState: async (id: string, state: ExperimentState, expected?: ExperimentState) =>
      setState(id, state, expected),
    appendDecision: async (decision: Decision) =>
      guard(() => {
        const parsed = check.decision(decision);
        if (e.get.get(parsed.experiment_id) === undefined) {
          throw new StoreNotFoundError(name, `experiment ${parsed.experiment_id} does not exist`);
        }
        e.decision.run(parsed.id, parsed.experiment_id, parsed.decided_at, JSON.stringify(parsed));
      }),
    decisions: async (experimentId) =>
      guard(() => e.decisions.all(experimentId).map((row) => JSON.parse(row.body) as Decision)),
  };
}
