import type { OutcomeRecord, PredictionRecord } from "@mlops/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  altered,
  generatePredictionLogs,
  referenceAggregate,
} from "../../test-support/prediction-logs.js";
import { expectSameAggregate } from "../../test-support/same-aggregate.js";
import { openSqliteStore } from "./sqlite-store.js";

// A small pool, so batches often repeat ids, meet stored ones and find their outcomes waiting.
const POOL = generatePredictionLogs({ seed: 3, count: 60, experimentId: "prop", prefix: "p" });
const OUTCOME = new Map(POOL.outcomes.map((o) => [o.request_id, o]));
const VARIANTS = ["champion", "challenger"];

/** A batch of pool records (some as altered copies), or the outcomes of some pool records. */
type Step =
  | { readonly kind: "batch"; readonly picks: readonly { index: number; copy: boolean }[] }
  | { readonly kind: "outcomes"; readonly indices: readonly number[] };

const index = fc.integer({ min: 0, max: POOL.predictions.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("batch" as const),
    // Sizes across the multi-row statements' boundaries (64 and the powers of two below it).
    picks: fc.array(fc.record({ index, copy: fc.boolean() }), { maxLength: 160, size: "max" }),
  }),
  fc.record({
    kind: fc.constant("outcomes" as const),
    indices: fc.array(index, { maxLength: 80 }),
  }),
);

describe("sqlite prediction batches", () => {
  it("count and join exactly like one record at a time, whatever the batch holds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const store = openSqliteStore(":memory:");
        // What one record at a time gives: the first record and the first outcome of an id win.
        const stored = new Map<string, PredictionRecord>();
        const outcomes = new Map<string, OutcomeRecord>();
        try {
          for (const s of steps) {
            if (s.kind === "outcomes") {
              const batch = s.indices.flatMap((i) => {
                const o = OUTCOME.get((POOL.predictions[i] as PredictionRecord).request_id);
                return o === undefined ? [] : [o];
              });
              for (const o of batch) if (!outcomes.has(o.request_id)) outcomes.set(o.request_id, o);
              await store.outcomes.insertMany(batch);
              continue;
            }
            const batch = s.picks.map(({ index: i, copy }) => {
              const record = POOL.predictions[i] as PredictionRecord;
              return copy ? altered(record) : record;
            });
            let expected = 0;
            for (const r of batch) {
              if (stored.has(r.request_id)) continue;
              stored.set(r.request_id, r);
              expected++;
            }
            expect((await store.predictions.insertValidated(batch)).inserted).toBe(expected);
          }
          const result = await store.predictions.aggregate({
            experiment_id: "prop",
            variants: VARIANTS,
          });
          for (const agg of result) {
            expectSameAggregate(
              agg,
              referenceAggregate([...stored.values()], [...outcomes.values()], "prop", agg.variant),
            );
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60, seed: 15 },
    );
  });
});
