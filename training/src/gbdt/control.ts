/** The control block histogram workers and the calling thread meet on. */
import type { HistogramInputs } from "./histogram.js";

/** Slots of the control block; the feature list follows them. */
export const Slot = {
  Generation: 0,
  Done: 1,
  Stop: 2,
  GhBase: 3,
  Start: 4,
  End: 5,
  FeatureCount: 6,
  Failed: 7,
  Features: 8,
} as const;

/** What a histogram worker receives. */
export interface HistogramWorkerData {
  readonly input: HistogramInputs;
  readonly control: Int32Array;
  readonly hist: Float64Array;
  /** This worker's share: participant `index` of `participants` (the calling thread is 0). */
  readonly index: number;
  readonly participants: number;
}

/** The positions [from, to) of the feature list that participant `index` of `participants` sums. */
export function featureShare(count: number, index: number, participants: number): [number, number] {
  return [
    Math.floor((index * count) / participants),
    Math.floor(((index + 1) * count) / participants),
  ];
}
