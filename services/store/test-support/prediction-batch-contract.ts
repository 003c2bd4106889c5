/**
 * Part of the store contract (store-contract.ts runs it): prediction batches that meet records
 * already stored. A batch counts exactly the records it stores; a record it does not store (its
 * id stored before, or earlier in the same batch) changes nothing, and gets no outcome terms; an
 * outcome that arrived before its prediction is joined once the batch stores the prediction.
 * Each case writes its own experiment, so the shared traffic's aggregates stay as they are.
 */
import type { OutcomeRecord, PredictionRecord } from "@mlops/contracts";
import { expect, it } from "vitest";
import type { Store } from "../src/store.js";
import { altered, generatePredictionLogs, referenceAggregate } from "./prediction-logs.js";
import { expectSameAggregate } from "./same-aggregate.js";

const VARIANTS = ["champion", "challenger"];

/** Generated records and outcomes of experiment `batch-<name>`, request ids `<name>-…`. */
function batchTraffic(seed: number, count: number, name: string) {
  return generatePredictionLogs({ seed, count, experimentId: `batch-${name}`, prefix: name });
}

function outcomesOf(
  outcomes: readonly OutcomeRecord[],
  records: readonly PredictionRecord[],
): OutcomeRecord[] {
  const ids = new Set(records.map((r) => r.request_id));
  return outcomes.filter((o) => ids.has(o.request_id));
}

/** Every variant's aggregate is the reference's over `stored` and `outcomes`. */
async function expectAggregates(
  store: Store,
  experimentId: string,
  stored: readonly PredictionRecord[],
  outcomes: readonly OutcomeRecord[],
): Promise<void> {
  const result = await store.predictions.aggregate({
    experiment_id: experimentId,
    variants: VARIANTS,
  });
  for (const agg of result) {
    expectSameAggregate(agg, referenceAggregate(stored, outcomes, experimentId, agg.variant));
  }
}

/** Register the cases; `store` gives the store under test once the suite has opened it. */
export function describePredictionBatchContract(store: () => Store): void {
  it("joins outcomes recorded before their predictions when the batch stores them", async () => {
    // More records than one multi-row statement writes, and not a multiple of it.
    const traffic = batchTraffic(7, 150, "early");
    expect(traffic.outcomes.length).toBeGreaterThan(50);
    await store().outcomes.insertMany(traffic.outcomes);
    expect((await store().predictions.insertMany(traffic.predictions)).inserted).toBe(150);
    await expectAggregates(store(), "batch-early", traffic.predictions, traffic.outcomes);
    let pairs = 0;
    for (const variant of VARIANTS) {
      for await (const _ of store().predictions.joined({
        experiment_id: "batch-early",
        variant,
      })) {
        pairs++;
      }
    }
    expect(pairs).toBe(traffic.outcomes.length);
  });

  it("stores the new records of a batch holding stored ids, counting only those", async () => {
    const traffic = batchTraffic(8, 200, "retry");
    const stored = traffic.predictions.slice(0, 100);
    const fresh = traffic.predictions.slice(100);
    expect((await store().predictions.insertMany(stored)).inserted).toBe(100);
    // Outcomes of stored records met them already; the fresh records' outcomes come first.
    await store().outcomes.insertMany(outcomesOf(traffic.outcomes, stored));
    await store().outcomes.insertMany(outcomesOf(traffic.outcomes, fresh));
    // Stored ids come back as other records, interleaved with the fresh ones.
    const batch = fresh.flatMap((record, i) =>
      i < 50 ? [altered(stored[50 + i] as PredictionRecord), record] : [record],
    );
    expect((await store().predictions.insertMany(batch)).inserted).toBe(100);
    const again = stored[60] as PredictionRecord;
    expect(await store().predictions.get(again.request_id)).toEqual(again);
    await expectAggregates(store(), "batch-retry", traffic.predictions, traffic.outcomes);
    expect((await store().predictions.insertMany(batch)).inserted).toBe(0);
    await expectAggregates(store(), "batch-retry", traffic.predictions, traffic.outcomes);
  });

  it("stores the first of a request id a batch holds twice, counted and joined once", async () => {
    const traffic = batchTraffic(9, 12, "twice");
    const withOutcome = new Set(traffic.outcomes.map((o) => o.request_id));
    const twice = traffic.predictions.find(
      (p) => p.status === "ok" && withOutcome.has(p.request_id),
    ) as PredictionRecord;
    expect(twice).toBeDefined();
    await store().outcomes.insertMany(traffic.outcomes);
    const batch = [...traffic.predictions, altered(twice)];
    expect((await store().predictions.insertMany(batch)).inserted).toBe(12);
    expect(await store().predictions.get(twice.request_id)).toEqual(twice);
    await expectAggregates(store(), "batch-twice", traffic.predictions, traffic.outcomes);
  });
}
