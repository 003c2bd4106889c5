/**
 * The series' unit. A fit runs on the returns divided by a power of two near their standard
 * deviation, so it does the same work on returns in percent, in fractions or in any other
 * unit: dividing by a power of two is exact (to values 2^-1022 times the unit), and the
 * estimate maps back exactly, mu by the unit, omega and the variances by its square (the
 * Hessian in omega scales as the unit to the power -4: at 1e±80 it leaves the double range).
 * The rule a series must meet is that its variance, with room above it for the conditional
 * variances, is a normal double.
 */
import { GarchInputError } from "./errors.js";
import type { GarchParams, ParamStat } from "./types.js";

/** The unit of a series is 2^e with |e| at most this. */
export const MAX_UNIT_EXPONENT = 500;

/**
 * The power of two nearest the standard deviation of `x` (a non-constant finite series).
 * @throws GarchInputError OUT_OF_RANGE when that is outside 2^±MAX_UNIT_EXPONENT.
 */
export function seriesUnit(x: Float64Array, field = "returns"): number {
  // In units of the largest magnitude: the sums of squares of 1e200s overflow. A largest
  // magnitude below 2^-1022 has no finite inverse, and such a series is out of range anyway.
  const n = x.length;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(x[i]!));
  const inv = 1 / max;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]! * inv;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! * inv - mean;
    ss += d * d;
  }
  const sd = Number.isFinite(inv) ? Math.sqrt(ss / n) * max : max;
  const e = Math.round(Math.log2(sd));
  if (!(Math.abs(e) <= MAX_UNIT_EXPONENT)) {
    throw new GarchInputError(
      "OUT_OF_RANGE",
      `${field} has a standard deviation of ${sd.toPrecision(3)}: it must be between 2^-${MAX_UNIT_EXPONENT} and 2^${MAX_UNIT_EXPONENT} (about ${(2 ** -MAX_UNIT_EXPONENT).toPrecision(2)} to ${(2 ** MAX_UNIT_EXPONENT).toPrecision(2)}) for its variance to be a double; rescale the series (returns in percent have a standard deviation near 1)`,
    );
  }
  return 2 ** e;
}

/** `x` in units of `unit` (a power of two, so is its inverse): exact. */
export function inUnits(x: Float64Array, unit: number): Float64Array {
  if (unit === 1) return x;
  const inv = 1 / unit;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv;
  return out;
}

/** The power of the unit a parameter is measured in: mu 1, omega 2, the others 0. */
export function unitPower(name: string): number {
  return name === "mu" ? 1 : name === "omega" ? 2 : 0;
}

/** Parameters, or a statistic of each, measured in `unit` back in the series' own units. */
export function fromUnits<T extends GarchParams | ParamStat>(values: T, unit: number): T {
  if (unit === 1) return values;
  const mu = values.mu === undefined ? {} : { mu: values.mu * unit };
  return { ...values, ...mu, omega: values.omega * unit * unit };
}
