/** What every adapter must make of records written before a field existed. */
import { expect } from "vitest";
import type { Store } from "../src/store.js";

/**
 * A prediction an adapter wrote before assignments were recorded (`requestId`, the only one of
 * `experimentId`'s champion arm, at `timestamp`) reads, and is counted, as unknown.
 */
export async function expectLegacyReadsAsUnknown(
  store: Store,
  legacy: { requestId: string; experimentId: string; timestamp: number },
): Promise<void> {
  expect(await store.predictions.get(legacy.requestId)).toMatchObject({
    assignment: "unknown",
    challenger_weight: null,
  });
  expect(
    await store.predictions.assignments({
      experiment_id: legacy.experimentId,
      variants: ["champion"],
    }),
  ).toEqual([
    {
      assignment: "unknown",
      challenger_weight: null,
      predictions: { champion: 1 },
      units: { champion: 1 },
      first_timestamp: legacy.timestamp,
      last_timestamp: legacy.timestamp,
    },
  ]);
}
