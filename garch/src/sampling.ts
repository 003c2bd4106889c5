/**
 * Draws of the standardised innovation z_t (mean 0, variance 1) for each distribution of
 * `DistName`, from a seeded `Random` stream:
 * - normal: the polar method;
 * - t: N / sqrt(chi2_nu / nu) scaled by sqrt((nu - 2) / nu), with chi2_nu = 2 Gamma(nu / 2);
 * - skewt (Hansen 1994): a two-piece construction from a standardised t (see `skewTSampler`);
 * - ged: |z| from a gamma variate, with a random sign (see `gedSampler`).
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import type { Random } from "./random.js";
import { lgamma } from "./special.js";
import type { DistName } from "./types.js";

/** Shape parameters of the innovation distribution, as named in `GarchParams`. */
export interface ShapeParams {
  /** Degrees of freedom (t, skewt; > 2) or shape (ged; > 0). */
  readonly nu?: number;
  /** Skewness of Hansen's skew-t, in (-1, 1). */
  readonly lambda?: number;
}

/** Returns the next standardised innovation. */
export type InnovationSampler = () => number;

function shapeError(field: string, rule: string, value: unknown): GarchInputError {
  return new GarchInputError(
    "INVALID_PARAMS",
    `params.${field} must be ${rule} (got ${formatValue(value)})`,
  );
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * Checks that the shape parameters a distribution needs are present and in range: nu > 2 for
 * t and skewt, nu > 0 for ged, -1 < lambda < 1 for skewt. Parameters the distribution does
 * not use are ignored.
 * @throws GarchInputError INVALID_PARAMS naming `params.nu` or `params.lambda`.
 */
export function checkShape(dist: DistName, shape: ShapeParams): void {
  const { nu, lambda } = shape;
  if (dist === "t" || dist === "skewt") {
    if (!isNumber(nu) || nu <= 2)
      throw shapeError("nu", `a finite number > 2 for dist "${dist}"`, nu);
  }
  if (dist === "ged" && (!isNumber(nu) || nu <= 0)) {
    throw shapeError("nu", 'a finite number > 0 for dist "ged"', nu);
  }
  if (dist === "skewt" && (!isNumber(lambda) || lambda <= -1 || lambda >= 1)) {
    throw shapeError("lambda", 'a number in (-1, 1) for dist "skewt"', lambda);
  }
}

/**
 * A sampler of standardised innovations for a distribution and its shape parameters.
 * @throws GarchInputError INVALID_PARAMS when a shape parameter is missing or out of range.
 */
export function innovationSampler(
  dist: DistName,
  shape: ShapeParams,
  rng: Random,
): InnovationSampler {
  checkShape(dist, shape);
  switch (dist) {
    case "normal":
      return () => rng.standardNormal();
    case "t":
      return studentTSampler(shape.nu as number, rng);
    case "skewt":
      return skewTSampler(shape.nu as number, shape.lambda as number, rng);
    case "ged":
      return gedSampler(shape.nu as number, rng);
  }
}

/** Student-t with nu > 2 degrees of freedom, scaled to unit variance. */
function studentTSampler(nu: number, rng: Random): InnovationSampler {
  // z = N / sqrt(2 G / nu) * sqrt((nu - 2) / nu) = N * sqrt((nu - 2) / (2 G)), G ~ Gamma(nu / 2).
  const halfNu = nu / 2;
  const halfNm2 = (nu - 2) / 2;
  return () => rng.standardNormal() * Math.sqrt(halfNm2 / rng.gamma(halfNu));
}

/**
 * Hansen's skewed t. Its density is b c (1 + y^2 / (nu - 2))^(-(nu + 1) / 2) with
 * y = (b z + a) / (1 - lambda) below z = -a / b and y = (b z + a) / (1 + lambda) above, where
 * c is the constant of the unit-variance t, a = 4 lambda c (nu - 2) / (nu - 1) and
 * b^2 = 1 + 3 lambda^2 - a^2. Changing variables shows each piece holds mass (1 -+ lambda) / 2
 * and, given the piece, y is a unit-variance t folded to that side. So: pick the left piece
 * with probability (1 - lambda) / 2, draw y = -|T| (left) or |T| (right), and invert
 * z = ((1 -+ lambda) y - a) / b.
 */
function skewTSampler(nu: number, lambda: number, rng: Random): InnovationSampler {
  const c = Math.exp(lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * Math.log(Math.PI * (nu - 2)));
  const a = (4 * lambda * c * (nu - 2)) / (nu - 1);
  const b = Math.sqrt(1 + 3 * lambda * lambda - a * a);
  const pLeft = (1 - lambda) / 2;
  const t = studentTSampler(nu, rng);
  return () => {
    const y = Math.abs(t());
    return rng.nextFloat() < pLeft ? (-(1 - lambda) * y - a) / b : ((1 + lambda) * y - a) / b;
  };
}

/**
 * Generalised error distribution with shape nu, density proportional to exp(-|z / s|^nu / 2)
 * with s^2 = 2^(-2 / nu) Gamma(1 / nu) / Gamma(3 / nu) (unit variance). W = |z / s|^nu / 2 is
 * Gamma(1 / nu), so |z| = s (2 W)^(1 / nu). Drawing W as Gamma(1 + 1 / nu) U^nu (the boosting
 * identity, valid for any shape) gives |z| = s (2 G)^(1 / nu) U: no power of a tiny uniform,
 * hence no underflow for large nu, where 1 / nu is a tiny gamma shape.
 */
function gedSampler(nu: number, rng: Random): InnovationSampler {
  const inv = 1 / nu;
  const s = Math.exp(-inv * Math.LN2 + 0.5 * (lgamma(inv) - lgamma(3 * inv)));
  return () => {
    const magnitude = s * (2 * rng.gamma(1 + inv)) ** inv * rng.nextOpenFloat();
    return rng.nextFloat() < 0.5 ? -magnitude : magnitude;
  };
}
