/**
 * The series' unit. The Hessian in omega scales as the unit of the returns to the power -4, so
 * near 1e±80 it leaves the double range and a fit stops short. A series whose standard deviation
 * is far from 1 (beyond 2^±20) is fitted divided by the power of two nearest it, and the estimate
 * maps back: mu by the unit, omega and the variances by its square. Dividing by a power of two
 * is exact (to values 2^-1022 times the unit), so fits of such a series in any two units are the
 * same to the last bit; within 2^±20 the series is fitted as it is (no copy), where fits in
 * different units agree to rounding. The rule a series must meet is that its variance, with room
 * above it for the conditional variances, is a normal double.
 */
import { GarchInputError } from "./errors.js";
import type { GarchParams, ParamStat } from "./types.js";

/** The unit of a series is 2^e with |e| at most this. */
const MAX_UNIT_EXPONENT = 500;

/** Series whose standard deviation is within 2^±this are fitted in their own unit. */
const OWN_UNIT_EXPONENT = 20;

/** Magnitudes whose squares, summed over any series, stay finite and normal. */
const PLAIN_RANGE = [2 ** -400, 2 ** 400] as const;

/** The standard deviation of `x` (n ≥ 1), without overflow or underflow. */
function deviation(x: Float64Array): number {
  const n = x.length;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    max = Math.max(max, Math.abs(v));
    sum += v;
  }
  // Squares of numbers beyond the plain range over- or underflow: those are measured in units
  // of the largest magnitude (below 2^-1022 it has no finite inverse: out of range anyway).
  const scale = max >= PLAIN_RANGE[0] && max <= PLAIN_RANGE[1] ? 1 : max;
  const inv = 1 / scale;
  let mean = sum / n;
  if (scale !== 1) {
    // The plain sum of 1e300s overflows.
    mean = 0;
    for (let i = 0; i < n; i++) mean += x[i]! * inv;
    mean /= n;
  }
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! * inv - mean;
    ss += d * d;
  }
  return Number.isFinite(inv) ? Math.sqrt(ss / n) * scale : max;
}

/**
 * The unit to fit `x` (a non-constant finite series) in: 1 when its standard deviation is within
 * 2^±OWN_UNIT_EXPONENT, else the power of two nearest that.
 * @throws GarchInputError OUT_OF_RANGE when that is outside 2^±MAX_UNIT_EXPONENT.
 */
export function seriesUnit(x: Float64Array): number {
  const sd = deviation(x);
  const e = Math.round(Math.log2(sd));
  if (!(Math.abs(e) <= MAX_UNIT_EXPONENT)) {
    throw new GarchInputError(
      "OUT_OF_RANGE",
      `returns has a standard deviation of ${sd.toPrecision(3)}: it must be between 2^-${MAX_UNIT_EXPONENT} and 2^${MAX_UNIT_EXPONENT} (about ${(2 ** -MAX_UNIT_EXPONENT).toPrecision(2)} to ${(2 ** MAX_UNIT_EXPONENT).toPrecision(2)}) for its variance to be a double; rescale the series (returns in percent have a standard deviation near 1)`,
    );
  }
  return Math.abs(e) <= OWN_UNIT_EXPONENT ? 1 : 2 ** e;
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
  // The lags' coefficients (arrays) and the shape parameters are unitless.
  const out: Record<string, unknown> = { ...values };
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "number") out[name] = value * unit ** unitPower(name);
  }
  return out as T;
}
