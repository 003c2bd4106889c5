/**
 * The behaviour every adapter must share, as one vitest suite: `describeStoreContract` runs it
 * against a fresh store from `open`. Aggregates are checked against a reference computed here in
 * plain TypeScript from the same generated records, so both adapters give the same numbers.
 * (Over 450 lines on purpose: one suite, so no adapter can run part of the contract and skip the
 * rest.)
 */
import {
  ContractValidationError,
  emptyUnits,
  type OutcomeRecord,
  type PredictionRecord,
  type VariantAggregate,
  type VariantUnits,
} from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreConflictError, StoreNotFoundError } from "../src/errors.js";
import { registerVersion } from "../src/registration.js";
import type { Store } from "../src/store.js";
import { describePredictionBatchContract } from "./prediction-batch-contract.js";
import {
  generatePredictionLogs,
  referenceAggregate,
  referenceAssignments,
  referenceUnits,
  referenceUsersInSeveralArms,
  referenceValues,
} from "./prediction-logs.js";
import { expectSameAggregate } from "./same-aggregate.js";

const SHA = "a".repeat(64);

function modelInput(name: string, extra: Record<string, number> = {}) {
  return {
    name,
    kind: "classifier" as const,
    run_id: "run-1",
    data_hash: SHA,
    git_sha: "abcdef1",
    params: { trees: 100, max_features: "sqrt" },
    metrics: { accuracy: 0.9, ...extra },
    artifact: { uri: `file:.mlops/artifacts/${name}/model.json`, sha256: SHA },
  };
}

/** A store under test and how to dispose of it. */
export interface StoreUnderTest {
  readonly store: Store;
  readonly dispose: () => Promise<void>;
}

/**
 * Register the shared contract suite for an adapter. `open` gives a fresh, empty store;
 * `concurrency` bounds the parallel operations the concurrency tests fire.
 */
export function describeStoreContract(
  adapter: string,
  open: () => Promise<StoreUnderTest>,
  options: { readonly concurrency?: number; readonly trafficSize?: number } = {},
): void {
  const n = options.concurrency ?? 12;
  const trafficSize = options.trafficSize ?? 400;

  describe(`store contract: ${adapter}`, () => {
    let subject: StoreUnderTest;
    let store: Store;
    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.dispose();
    });

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe("model versions", () => {
      /** Registers a version whose files are in place: READY. */
      const ready = (input: ReturnType<typeof modelInput>) => registerVersion(store.models, input);

      it("assigns increasing versions and resolves references", async () => {
        const v1 = await ready(modelInput("seq"));
        const v2 = await ready(modelInput("seq", { accuracy: 0.95 }));
        expect([v1.status, v2.status]).toEqual(["READY", "READY"]);
        expect([v1.version, v2.version]).toEqual([1, 2]);
        expect(v2.metrics.accuracy).toBe(0.95);
        expect((await store.models.resolve("seq")).version).toBe(2);
        expect((await store.models.resolve("seq@1")).version).toBe(1);
        await store.models.setAlias("seq", "champion", 1);
        const champion = await store.models.resolve("seq@champion");
        expect(champion.version).toBe(1);
        expect(champion.aliases).toEqual(["champion"]);
        expect(champion.git_sha).toBe("abcdef1");
        expect((await store.models.get("seq", 2))?.aliases).toEqual([]);
        expect(await store.models.get("seq", 9)).toBeNull();
        expect((await store.models.list("seq")).map((v) => v.version)).toEqual([2, 1]);
        const summary = (await store.models.summaries()).find((s) => s.name === "seq");
        expect(summary).toEqual({
          name: "seq",
          kind: "classifier",
          latest_version: 2,
          ready_version: 2,
          aliases: { champion: 1 },
        });
      });

      it("keeps a version pending until its registration finishes, and finishes it once", async () => {
        const pending = await store.models.register(modelInput("pend"));
        expect(pending.status).toBe("PENDING_REGISTRATION");
        expect((await store.models.get("pend", 1))?.status).toBe("PENDING_REGISTRATION");
        // Its files may not exist yet: no alias, and not the model's newest usable version.
        await expect(store.models.resolve("pend")).rejects.toThrow(StoreNotFoundError);
        await expect(store.models.resolve("pend")).rejects.toThrow(
          "no model version matches pend (its newest READY version)",
        );
        const alias = store.models.setAlias("pend", "champion", 1);
        await expect(alias).rejects.toThrow(StoreConflictError);
        await expect(alias).rejects.toThrow(
          "model pend version 1 is PENDING_REGISTRATION, and only a READY version can take an alias (champion)",
        );
        const done = await store.models.finishRegistration("pend", 1, "READY");
        expect(done).toMatchObject({ version: 1, status: "READY", params: pending.params });
        expect((await store.models.resolve("pend")).status).toBe("READY");
        const again = store.models.finishRegistration("pend", 1, "FAILED_REGISTRATION");
        await expect(again).rejects.toThrow(StoreConflictError);
        await expect(again).rejects.toThrow(
          "model pend version 1 is READY, not PENDING_REGISTRATION: it cannot become FAILED_REGISTRATION",
        );
        await store.models.setAlias("pend", "champion", 1);
        expect((await store.models.resolve("pend@champion")).status).toBe("READY");
        await expect(store.models.finishRegistration("pend", 7, "READY")).rejects.toThrow(
          StoreNotFoundError,
        );
        await store.models.register(modelInput("pend"));
        const stillPending = store.models.finishRegistration(
          "pend",
          2,
          "PENDING_REGISTRATION" as "READY",
        );
        await expect(stillPending).rejects.toThrow(ContractValidationError);
        await expect(stillPending).rejects.toThrow(/^registration status is invalid/);
      });

      it("resolves a bare name to the newest READY version, past unfinished ones", async () => {
        await ready(modelInput("unfinished"));
        await store.models.register(modelInput("unfinished"));
        await store.models.register(modelInput("unfinished"));
        await store.models.finishRegistration("unfinished", 3, "FAILED_REGISTRATION");
        expect((await store.models.resolve("unfinished")).version).toBe(1);
        expect((await store.models.resolve("unfinished@3")).status).toBe("FAILED_REGISTRATION");
        expect((await store.models.list("unfinished")).map((v) => [v.version, v.status])).toEqual([
          [3, "FAILED_REGISTRATION"],
          [2, "PENDING_REGISTRATION"],
          [1, "READY"],
        ]);
        await expect(store.models.setAlias("unfinished", "challenger", 3)).rejects.toThrow(
          /version 3 is FAILED_REGISTRATION/,
        );
        const summary = (await store.models.summaries()).find((s) => s.name === "unfinished");
        expect(summary).toMatchObject({ latest_version: 3, ready_version: 1 });
      });

      it("summarises a model none of whose versions is READY with no ready version", async () => {
        await store.models.register(modelInput("none-ready"));
        await store.models.register(modelInput("none-ready"));
        await store.models.finishRegistration("none-ready", 2, "FAILED_REGISTRATION");
        const summary = (await store.models.summaries()).find((s) => s.name === "none-ready");
        expect(summary).toMatchObject({ latest_version: 2, ready_version: null });
        // The newest READY, not the last one to finish.
        await store.models.register(modelInput("none-ready"));
        await store.models.finishRegistration("none-ready", 3, "READY");
        await store.models.finishRegistration("none-ready", 1, "READY");
        expect((await store.models.summaries()).find((s) => s.name === "none-ready")).toMatchObject(
          { latest_version: 3, ready_version: 3 },
        );
      });

      it("marks a version whose files could not be written FAILED_REGISTRATION", async () => {
        const seen: number[] = [];
        const failed = registerVersion(store.models, modelInput("nofiles"), async (version) => {
          seen.push(version.version);
          expect(version.status).toBe("PENDING_REGISTRATION");
          throw new Error("ENOSPC: no space left on device");
        });
        await expect(failed).rejects.toThrow("ENOSPC: no space left on device");
        expect(seen).toEqual([1]);
        expect((await store.models.get("nofiles", 1))?.status).toBe("FAILED_REGISTRATION");
        const written = await registerVersion(store.models, modelInput("nofiles"), async (v) => {
          seen.push(v.version);
        });
        expect(written).toMatchObject({ version: 2, status: "READY" });
        expect((await store.models.resolve("nofiles")).version).toBe(2);
      });

      it("keeps one kind of model under a name", async () => {
        await ready(modelInput("one-kind"));
        const garch = { ...modelInput("one-kind"), kind: "garch" as const };
        const mixed = store.models.register(garch);
        await expect(mixed).rejects.toThrow(StoreConflictError);
        await expect(mixed).rejects.toThrow(
          "model one-kind holds classifier versions, so a garch version cannot be registered under that name: choose another name",
        );
        // Nothing recorded, no number used; another name takes it.
        expect((await store.models.list("one-kind")).map((v) => v.version)).toEqual([1]);
        expect((await store.models.register(modelInput("one-kind"))).version).toBe(2);
        expect((await store.models.register({ ...garch, name: "one-kind-vol" })).kind).toBe(
          "garch",
        );
      });

      it("names what it cannot find", async () => {
        await expect(store.models.resolve("ghost")).rejects.toThrow(StoreNotFoundError);
        await expect(store.models.resolve("ghost@champion")).rejects.toThrow(/ghost@champion/);
        await expect(store.models.setAlias("ghost", "champion", 1)).rejects.toThrow(
          StoreNotFoundError,
        );
      });

      it("never hands out one version number twice under concurrent registration", async () => {
        const results = await Promise.all(
          Array.from({ length: n }, () => store.models.register(modelInput("race"))),
        );
        const versions = results.map((r) => r.version).sort((a, b) => a - b);
        expect(versions).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      });

      it("fails a stale alias move with a conflict", async () => {
        await ready(modelInput("stale"));
        await ready(modelInput("stale"));
        await store.models.setAlias("stale", "champion", 1, { expectedVersion: null });
        await store.models.setAlias("stale", "champion", 2, { expectedVersion: 1 });
        const stale = store.models.setAlias("stale", "champion", 1, { expectedVersion: 1 });
        await expect(stale).rejects.toThrow(StoreConflictError);
        await expect(stale).rejects.toThrow(/stale@champion points at 2, expected 1/);
        await expect(
          store.models.setAlias("stale", "challenger", 1, { expectedVersion: 2 }),
        ).rejects.toThrow(StoreConflictError);
        expect(await store.models.aliases("stale")).toEqual({ champion: 2 });
      });

      it("lets exactly one of many concurrent conditional moves win", async () => {
        for (let i = 0; i < n; i++) await ready(modelInput("cas"));
        await store.models.setAlias("cas", "champion", 1);
        const outcomes = await Promise.allSettled(
          Array.from({ length: n }, (_, i) =>
            store.models.setAlias("cas", "champion", i + 1, { expectedVersion: 1 }),
          ),
        );
        const won = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i + 1] : []));
        const lost = outcomes.filter((o) => o.status === "rejected");
        // A move from 1 to 1 leaves the precondition true, so a later move may still win after it.
        expect(won.filter((v) => v !== 1)).toHaveLength(1);
        for (const o of lost)
          expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
        const holder = (await store.models.aliases("cas")).champion;
        expect(holder).toBe(won.find((v) => v !== 1));
        const holders = (await store.models.list("cas")).filter((v) =>
          v.aliases.includes("champion"),
        );
        expect(holders.map((v) => v.version)).toEqual([holder]);
      });

      it("leaves one holder after many unconditional concurrent moves", async () => {
        for (let i = 0; i < n; i++) await ready(modelInput("free"));
        await Promise.all(
          Array.from({ length: n }, (_, i) => store.models.setAlias("free", "challenger", i + 1)),
        );
        const holders = (await store.models.list("free")).filter((v) =>
          v.aliases.includes("challenger"),
        );
        expect(holders).toHaveLength(1);
        expect((await store.models.aliases("free")).challenger).toBe(holders[0]?.version);
      });

      it("deletes an alias only while it points where expected", async () => {
        await ready(modelInput("del"));
        await store.models.setAlias("del", "shadow", 1);
        await expect(
          store.models.deleteAlias("del", "shadow", { expectedVersion: 2 }),
        ).rejects.toThrow(StoreConflictError);
        await store.models.deleteAlias("del", "shadow", { expectedVersion: 1 });
        expect(await store.models.aliases("del")).toEqual({});
      });

      it("rejects invalid input naming the field", async () => {
        await expect(
          store.models.register({ ...modelInput("bad"), name: "bad name" }),
        ).rejects.toThrow(/name: must be 1-64 characters/);
        // A key JSON can carry but a plain object cannot hold is refused, never dropped.
        const proto = JSON.parse('{"__proto__": 1}');
        await expect(
          store.models.register({ ...modelInput("proto"), params: proto }),
        ).rejects.toThrow("model version params is invalid: __proto__: must not be __proto__");
        await expect(
          store.models.register({ ...modelInput("proto"), metrics: proto }),
        ).rejects.toThrow("model version metrics is invalid: __proto__: must not be __proto__");
        expect(await store.models.list("proto")).toEqual([]);
        await expect(ready(modelInput("x"))).resolves.toMatchObject({ version: 1 });
        await expect(store.models.setAlias("x", "latest", 1)).rejects.toThrow(
          ContractValidationError,
        );
      });
    });

    describe("tracked runs", () => {
      it("tracks params, metric histories, tags, artifacts and status", async () => {
        const run = await store.runs.create({
          run_id: "run-a",
          experiment_name: "iris",
          start_time: 1000,
          params: { trees: 10 },
        });
        expect(run.status).toBe("RUNNING");
        await expect(
          store.runs.create({ run_id: "run-a", experiment_name: "iris", start_time: 1 }),
        ).rejects.toThrow(StoreConflictError);
        await store.runs.logParams("run-a", { seed: 7, trees: 10 });
        await expect(store.runs.logParams("run-a", { trees: 20 })).rejects.toThrow(/trees=10/);
        await store.runs.logMetrics("run-a", [
          { key: "acc", value: 0.8, step: 2, timestamp: 3 },
          { key: "acc", value: 0.7, step: 1, timestamp: 2 },
          { key: "loss", value: 0.5, step: 0, timestamp: 1 },
        ]);
        await store.runs.logMetrics("run-a", [{ key: "acc", value: 0.9, step: 3, timestamp: 4 }]);
        await store.runs.setTags("run-a", { "mlflow.source.git.commit": "abcdef1" });
        await store.runs.addArtifacts("run-a", [{ path: "model.json", uri: "file:x/model.json" }]);
        await store.runs.finish("run-a", "FINISHED", 5000);
        await store.runs.create({
          run_id: "run-b",
          experiment_name: "iris",
          start_time: 2000,
          parent_run_id: "run-a",
        });
        await store.runs.create({ run_id: "run-c", experiment_name: "other", start_time: 1500 });

        const read = await store.runs.get("run-a");
        expect(read?.params).toEqual({ trees: 10, seed: 7 });
        expect(read?.metrics.acc?.map((p) => p.value)).toEqual([0.7, 0.8, 0.9]);
        expect(read?.metrics.loss).toHaveLength(1);
        expect(read?.tags["mlflow.source.git.commit"]).toBe("abcdef1");
        expect(read?.artifacts).toEqual([{ path: "model.json", uri: "file:x/model.json" }]);
        expect([read?.status, read?.end_time]).toEqual(["FINISHED", 5000]);
        expect((await store.runs.list({ experimentName: "iris" })).map((r) => r.run_id)).toEqual([
          "run-a",
          "run-b",
        ]);
        expect((await store.runs.list({ parentRunId: "run-a" })).map((r) => r.run_id)).toEqual([
          "run-b",
        ]);
        expect(await store.runs.get("nope")).toBeNull();
        await expect(store.runs.setTags("nope", { a: "b" })).rejects.toThrow(StoreNotFoundError);
      });

      it("ends a run once, in a terminal status, no earlier than it started", async () => {
        await store.runs.create({ run_id: "end-1", experiment_name: "ends", start_time: 1000 });
        const finish = (status: string, end: number) =>
          store.runs.finish("end-1", status as "FINISHED", end);
        await expect(finish("BOGUS", 2000)).rejects.toThrow(
          /^run end is invalid: status: must be FINISHED, FAILED or KILLED/,
        );
        await expect(finish("RUNNING", 2000)).rejects.toThrow(/status: must be FINISHED/);
        await expect(finish("FINISHED", -5)).rejects.toThrow(/^run end is invalid: end_time: /);
        await expect(finish("FINISHED", Number.NaN)).rejects.toThrow(/end_time: /);
        await expect(finish("FINISHED", 999)).rejects.toThrow(
          "run end is invalid: end_time: must not be before the run's start_time (1000)",
        );
        expect(await store.runs.get("end-1")).toMatchObject({ status: "RUNNING", end_time: null });
        await finish("FINISHED", 2000);
        // The same end again is a retry; any other end (or a reopening) conflicts.
        await finish("FINISHED", 2000);
        await expect(finish("FAILED", 3000)).rejects.toThrow(StoreConflictError);
        await expect(finish("FAILED", 3000)).rejects.toThrow(
          /run end-1 already ended FINISHED at 2000; an ended run cannot become FAILED at 3000$/,
        );
        expect(await store.runs.get("end-1")).toMatchObject({ status: "FINISHED", end_time: 2000 });
      });

      it("keeps a run's tags and params within their limits, its parent real, every key", async () => {
        await store.runs.create({ run_id: "lim-1", experiment_name: "limits", start_time: 1 });
        const tags = (from: number) =>
          Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`t${from + i}`, "v"]));
        await store.runs.setTags("lim-1", tags(0));
        await store.runs.setTags("lim-1", tags(500));
        await store.runs.setTags("lim-1", tags(0));
        await expect(store.runs.setTags("lim-1", tags(1000))).rejects.toThrow(
          "tags is invalid: (root): would give run lim-1 1500 tags, more than 1000",
        );
        expect(Object.keys((await store.runs.get("lim-1"))!.tags)).toHaveLength(1000);
        const params = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, i]));
        await store.runs.logParams("lim-1", params);
        await expect(store.runs.logParams("lim-1", { extra: 1 })).rejects.toThrow(
          "params is invalid: (root): would give run lim-1 1001 params, more than 1000",
        );

        await expect(
          store.runs.create({
            run_id: "orphan",
            experiment_name: "limits",
            start_time: 1,
            parent_run_id: "ghost",
          }),
        ).rejects.toThrow(
          new StoreNotFoundError(store.name, "parent run ghost of run orphan does not exist"),
        );
        await expect(
          store.runs.create({
            run_id: "self",
            experiment_name: "limits",
            start_time: 1,
            parent_run_id: "self",
          }),
        ).rejects.toThrow(
          "run is invalid: parent_run_id: must name another run, not the run itself",
        );
        expect(await store.runs.get("orphan")).toBeNull();
        expect(await store.runs.get("self")).toBeNull();

        // A key JSON can carry but a plain object cannot hold is refused, never dropped.
        const proto = JSON.parse('{"__proto__": "x"}');
        await expect(store.runs.logParams("lim-1", proto)).rejects.toThrow(
          "params is invalid: __proto__: must not be __proto__",
        );
        await expect(store.runs.setTags("lim-1", proto)).rejects.toThrow(
          "tags is invalid: __proto__: must not be __proto__",
        );
        await expect(
          store.runs.create({ run_id: "p", experiment_name: "limits", start_time: 1, tags: proto }),
        ).rejects.toThrow("run tags is invalid: __proto__: must not be __proto__");
        await expect(
          store.runs.logMetrics("lim-1", [{ key: "__proto__", value: 1, step: 0, timestamp: 1 }]),
        ).rejects.toThrow("[0].key: must not be __proto__");
      });
    });

    describe("experiments", () => {
      const definition = {
        id: "exp-def",
        primary_metric: "accuracy" as const,
        variants: [
          { name: "champion", weight: 90, model: "iris@champion" },
          { name: "challenger", weight: 10, model: "iris@challenger" },
        ],
        guardrails: [{ metric: "error_rate" as const, max_relative_increase: 0.1 }],
      };

      it("stores definitions, state changes and append-only decisions", async () => {
        const created = await store.experiments.create(definition, 100);
        expect(created).toMatchObject({ state: "draft", created_at: 100, alpha: 0.05 });
        await expect(store.experiments.create(definition)).rejects.toThrow(StoreConflictError);
        await store.experiments.setState("exp-def", "running", "draft");
        await expect(store.experiments.setState("exp-def", "stopped", "draft")).rejects.toThrow(
          /is running, expected draft/,
        );
        expect((await store.experiments.get("exp-def"))?.state).toBe("running");
        expect((await store.experiments.list()).map((e) => e.id)).toContain("exp-def");
        const decision = {
          id: "d-2",
          experiment_id: "exp-def",
          decision: "continue" as const,
          reason: "not enough evidence",
          evidence: { p_value: 0.3, n: [10, 12] },
          decided_at: 2000,
        };
        await store.experiments.appendDecision(decision);
        await store.experiments.appendDecision({
          ...decision,
          id: "d-1",
          decided_at: 1000,
          decision: "invalid",
        });
        await store.experiments.appendDecision(decision);
        const decisions = await store.experiments.decisions("exp-def");
        expect(decisions.map((d) => d.id)).toEqual(["d-1", "d-2"]);
        expect(decisions[1]?.evidence).toEqual({ p_value: 0.3, n: [10, 12] });
        await expect(
          store.experiments.appendDecision({ ...decision, experiment_id: "ghost" }),
        ).rejects.toThrow(StoreNotFoundError);
      });
    });

    describe("prediction logs and outcomes", () => {
      const traffic = generatePredictionLogs({ seed: 42, count: trafficSize });
      const half = Math.floor(trafficSize / 2);
      // Some outcomes arrive before their prediction is logged (the log is asynchronous).
      const early = traffic.outcomes.filter((o) => Number(o.request_id.slice(-6)) >= half);
      const late = traffic.outcomes.filter((o) => Number(o.request_id.slice(-6)) < half);
      /** From the `first`-th generated record's time to the `last`-th's (excluded). */
      const windowBetween = (first: number, last: number) => ({
        from: (traffic.predictions[first] as PredictionRecord).timestamp,
        to: (traffic.predictions[last] as PredictionRecord).timestamp,
      });

      beforeAll(async () => {
        expect((await store.outcomes.insertMany(early)).inserted).toBe(early.length);
        expect((await store.predictions.insertMany(traffic.predictions)).inserted).toBe(
          trafficSize,
        );
        expect((await store.outcomes.insertMany(late)).inserted).toBe(late.length);
      });

      it("ignores retried batches (idempotent by request id)", async () => {
        const retry = traffic.predictions.slice(0, 50);
        expect((await store.predictions.insertMany(retry)).inserted).toBe(0);
        expect((await store.outcomes.insertMany(traffic.outcomes.slice(0, 20))).inserted).toBe(0);
        const [agg] = await store.predictions.aggregate({
          experiment_id: "exp-1",
          variants: ["champion"],
        });
        expect(agg?.count).toBe(traffic.predictions.filter((p) => p.variant === "champion").length);
      });

      it("keeps the first outcome of a request", async () => {
        const first = traffic.outcomes[0] as OutcomeRecord;
        await store.outcomes.insertMany([
          { ...first, outcome: "changed", timestamp: first.timestamp + 1 },
        ]);
        expect(await store.outcomes.get(first.request_id)).toEqual(first);
      });

      it("reads records back as written", async () => {
        // Records of every configuration (the assignment fields round-trip with the rest).
        for (const i of [7, 60, 110, 160, 210, 260].filter((i) => i < trafficSize)) {
          const sample = traffic.predictions[i] as PredictionRecord;
          expect(await store.predictions.get(sample.request_id)).toEqual(sample);
        }
        expect(await store.predictions.get("missing")).toBeNull();
        const numeric = traffic.outcomes.find((o) => typeof o.outcome === "number");
        expect(await store.outcomes.get(numeric?.request_id as string)).toEqual(numeric);
      });

      it("aggregates per variant exactly like the in-memory reference", async () => {
        const variants = ["champion", "challenger", "absent"];
        const result = await store.predictions.aggregate({ experiment_id: "exp-1", variants });
        expect(result.map((a) => a.variant)).toEqual(variants);
        for (const agg of result) {
          expectSameAggregate(
            agg,
            referenceAggregate(traffic.predictions, traffic.outcomes, "exp-1", agg.variant),
          );
        }
        expect(result[0]?.outcome_count).toBeGreaterThan(0);
        expect(result[0]?.outcome_value_count).toBeGreaterThan(0);
        expect(result[2]?.count).toBe(0);
      });

      it("counts each variant's users, units and per-unit terms like the in-memory reference", async () => {
        const variants = ["champion", "challenger", "absent"];
        const window = windowBetween(20, 180);
        for (const query of [
          { experiment_id: "exp-1", variants },
          { experiment_id: "exp-1", variants, window },
        ]) {
          const result = await store.predictions.units(query);
          expect(result.map((u) => u.variant)).toEqual(variants);
          for (const units of result) {
            expectSameAggregate(
              units,
              referenceUnits(
                traffic.predictions,
                traffic.outcomes,
                "exp-1",
                units.variant,
                query.window,
              ),
            );
          }
        }
        // The traffic has users who come back, predictions without a user id, and outcomes.
        const [champion, , absent] = await store.predictions.units({
          experiment_id: "exp-1",
          variants,
        });
        const predictions = traffic.predictions.filter((p) => p.variant === "champion").length;
        const anonymous = (champion?.unit_count ?? 0) - (champion?.user_count ?? 0);
        expect(anonymous).toBeGreaterThan(0);
        expect(champion?.user_count).toBeGreaterThan(0);
        expect(champion?.user_count).toBeLessThan(predictions - anonymous);
        expect(champion?.accuracy_unit_n_sq).toBeGreaterThan(champion?.accuracy_units ?? 0);
        expect(absent).toEqual(emptyUnits("absent"));
      });

      it("sums the numeric metrics about one of their own values when asked (centered)", async () => {
        const variants = ["champion", "challenger", "absent"];
        for (const window of [undefined, windowBetween(20, 180)]) {
          const query = { experiment_id: "exp-1", variants, ...(window ? { window } : {}) };
          const plain = await store.predictions.aggregate(query);
          const aggregates = await store.predictions.aggregate({ ...query, centered: true });
          const units = await store.predictions.units({ ...query, centered: true });
          for (const [i, variant] of variants.entries()) {
            const { centered, ...sums } = aggregates[i] as VariantAggregate;
            expect(sums).toEqual(plain[i]);
            const values = referenceValues(
              traffic.predictions,
              traffic.outcomes,
              "exp-1",
              variant,
              window,
            );
            const shifts = {
              latency: centered?.latency.shift as number,
              outcome: centered?.outcome.shift as number,
              log_loss: centered?.log_loss.shift as number,
            };
            for (const m of ["latency", "outcome", "log_loss"] as const) {
              // One of the metric's own values, or 0 where it has none.
              expect(values[m].length === 0 ? [0] : values[m]).toContain(shifts[m]);
            }
            const about = referenceAggregate(
              traffic.predictions,
              traffic.outcomes,
              "exp-1",
              variant,
              window,
              shifts,
            );
            expectSameAggregate(
              Object.fromEntries(
                (["latency", "outcome", "log_loss"] as const).flatMap((m) => [
                  [`${m}_sum`, centered?.[m].sum],
                  [`${m}_sum_sq`, centered?.[m].sum_sq],
                ]),
              ),
              {
                latency_sum: about.latency_sum,
                latency_sum_sq: about.latency_sum_sq,
                outcome_sum: about.outcome_sum,
                outcome_sum_sq: about.outcome_sum_sq,
                log_loss_sum: about.log_loss_sum,
                log_loss_sum_sq: about.log_loss_sum_sq,
              },
            );
            const unit = units[i] as VariantUnits;
            const unitShifts = {
              ...shifts,
              outcome: unit.centered?.outcome.shift as number,
              log_loss: unit.centered?.log_loss.shift as number,
            };
            const unitsAbout = referenceUnits(
              traffic.predictions,
              traffic.outcomes,
              "exp-1",
              variant,
              window,
              unitShifts,
            );
            for (const m of ["outcome", "log_loss"] as const) {
              expect(values[m].length === 0 ? [0] : values[m]).toContain(unitShifts[m]);
              expectSameAggregate(
                { sum_n: unit.centered?.[m].sum_n, sum_sq: unit.centered?.[m].sum_sq },
                { sum_n: unitsAbout[`${m}_unit_sum_n`], sum_sq: unitsAbout[`${m}_unit_sum_sq`] },
              );
            }
          }
        }
      });

      it("restricts aggregates to a half-open time window", async () => {
        const window = {
          from: (traffic.predictions[Math.floor(trafficSize / 4)] as PredictionRecord).timestamp,
          to: (traffic.predictions[Math.floor((trafficSize * 3) / 4)] as PredictionRecord)
            .timestamp,
        };
        const [agg] = await store.predictions.aggregate({
          experiment_id: "exp-1",
          variants: ["challenger"],
          window,
        });
        expectSameAggregate(
          agg as VariantAggregate,
          referenceAggregate(traffic.predictions, traffic.outcomes, "exp-1", "challenger", window),
        );
        const [empty] = await store.predictions.aggregate({
          experiment_id: "exp-1",
          variants: ["challenger"],
          window: { from: window.from, to: window.from },
        });
        expect(empty?.count).toBe(0);
      });

      it("iterates joined pairs of a variant in time order", async () => {
        const outcomes = new Map(traffic.outcomes.map((o) => [o.request_id, o]));
        const expected = traffic.predictions
          .filter((p) => p.variant === "challenger" && outcomes.has(p.request_id))
          .sort((a, b) => a.timestamp - b.timestamp || a.request_id.localeCompare(b.request_id));
        const pairs = [];
        for await (const pair of store.predictions.joined({
          experiment_id: "exp-1",
          variant: "challenger",
        })) {
          pairs.push(pair);
        }
        expect(pairs.map((p) => p.request_id)).toEqual(expected.map((p) => p.request_id));
        const first = pairs[0];
        const source = outcomes.get(first?.request_id as string);
        expect(first?.outcome).toEqual(source?.outcome);
        expect(first?.outcome_timestamp).toBe(source?.timestamp);
      });

      it("groups predictions by the configuration that assigned them, like the reference", async () => {
        const variants = ["champion", "challenger", "absent"];
        const all = await store.predictions.assignments({ experiment_id: "exp-1", variants });
        expect(all).toEqual(referenceAssignments(traffic.predictions, "exp-1", variants));
        // Every generated configuration, and the one that comes back once (a block of 50 each).
        expect(all.length).toBe(Math.min(6, Math.ceil(trafficSize / 50)));
        const window = windowBetween(60, 170);
        expect(
          await store.predictions.assignments({ experiment_id: "exp-1", variants, window }),
        ).toEqual(referenceAssignments(traffic.predictions, "exp-1", variants, window));
        expect(await store.predictions.assignments({ experiment_id: "none", variants })).toEqual(
          [],
        );
      });

      it("counts the users seen on more than one arm", async () => {
        const variants = ["champion", "challenger"];
        const expected = referenceUsersInSeveralArms(traffic.predictions, "exp-1", variants);
        expect(expected).toBeGreaterThan(0);
        expect(
          await store.predictions.usersInSeveralArms({ experiment_id: "exp-1", variants }),
        ).toBe(expected);
        const window = windowBetween(0, 10);
        expect(
          await store.predictions.usersInSeveralArms({ experiment_id: "exp-1", variants, window }),
        ).toBe(referenceUsersInSeveralArms(traffic.predictions, "exp-1", variants, window));
        expect(
          await store.predictions.usersInSeveralArms({
            experiment_id: "exp-1",
            variants: ["champion"],
          }),
        ).toBe(0);
      });

      it("stores a record written without an assignment as unknown", async () => {
        const {
          assignment: _,
          challenger_weight: __,
          ...bare
        } = {
          ...(traffic.predictions[3] as PredictionRecord),
          request_id: "bare-1",
          experiment_id: "bare",
        };
        await store.predictions.insertMany([bare]);
        expect(await store.predictions.get("bare-1")).toEqual({
          ...bare,
          assignment: "unknown",
          challenger_weight: null,
        });
      });

      it("refuses a weight that does not go with the assignment, naming it", async () => {
        const good = traffic.predictions[0] as PredictionRecord;
        for (const bad of [
          {
            ...good,
            request_id: "w-1",
            assignment: "gateway-weight" as const,
            challenger_weight: null,
          },
          { ...good, request_id: "w-2", assignment: "unknown" as const, challenger_weight: 10 },
          { ...good, request_id: "w-3", assignment: "user-hash" as const, challenger_weight: 101 },
        ]) {
          await expect(store.predictions.insertMany([bad])).rejects.toThrow(
            /\[0\]\.challenger_weight/,
          );
        }
      });

      it("writes records valid by construction as insertMany does, idempotently", async () => {
        const records = traffic.predictions.slice(0, 3).map((r, i) => ({
          ...(r as PredictionRecord),
          request_id: `validated-${i}`,
          experiment_id: "validated",
        }));
        expect((await store.predictions.insertValidated(records)).inserted).toBe(3);
        expect((await store.predictions.insertValidated(records)).inserted).toBe(0);
        for (const record of records) {
          expect(await store.predictions.get(record.request_id)).toEqual(record);
        }
      });

      it("rejects a bad record naming its field and writes nothing of the batch", async () => {
        const good = { ...(traffic.predictions[0] as PredictionRecord), request_id: "fresh-1" };
        const bad = { ...good, request_id: "fresh-2", latency_ms: -1 };
        await expect(store.predictions.insertMany([good, bad])).rejects.toThrow(
          /\[1\]\.latency_ms/,
        );
        expect(await store.predictions.get("fresh-1")).toBeNull();
      });
    });

    describe("prediction batches meeting stored records", () => {
      describePredictionBatchContract(() => store);
    });
  });
}
