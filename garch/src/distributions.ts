/**
 * Innovation distributions, all standardised to mean 0 and variance 1: the log-density of a
 * residual e given its conditional variance h, log f(e | h) = log g(e / sqrt(h)) - log(h) / 2,
 * with full constants and analytic derivatives with respect to e, h and the shape parameters.
 *
 * A kernel is built once per parameter vector (`kernel(shape)` precomputes everything that
 * depends on the shape only) and then called once per observation without allocating.
 */
import { digamma, lgamma } from "./special.js";
import type { DistName } from "./types.js";

const LOG_2PI = Math.log(2 * Math.PI);
const LN2 = Math.LN2;

/** Per-observation log-density with derivatives. */
export interface DensityKernel {
  /**
   * log f(e | h). When `d` is given, writes d/de to d[0], d/dh to d[1] and d/dshape_k to
   * d[2 + k].
   */
  logDensity(e: number, h: number, d: Float64Array | null): number;
}

/** An innovation distribution: its shape parameters and how to evaluate it. */
export interface Distribution {
  readonly name: DistName;
  readonly shapeNames: readonly string[];
  /** Starting values of the shape parameters. */
  readonly shapeStart: readonly number[];
  /** Open lower and upper bounds of each shape parameter: where the density is defined. */
  readonly shapeBounds: readonly (readonly [number, number])[];
  /**
   * Closed limits inside those bounds within which the optimiser searches (an estimate may sit
   * on one: a t fitted to Normal data takes nu = 500).
   */
  readonly shapeLimits: readonly (readonly [number, number])[];
  kernel(shape: ArrayLike<number>, offset: number): DensityKernel;
}

const normalKernel: DensityKernel = {
  logDensity(e, h, d) {
    const e2h = (e * e) / h;
    if (d) {
      d[0] = -e / h;
      d[1] = (0.5 * (e2h - 1)) / h;
    }
    return -0.5 * (LOG_2PI + Math.log(h) + e2h);
  },
};

/** Standard normal. */
export const normal: Distribution = {
  name: "normal",
  shapeNames: [],
  shapeStart: [],
  shapeBounds: [],
  shapeLimits: [],
  kernel: () => normalKernel,
};

/** Student-t with nu > 2 degrees of freedom, scaled to unit variance. */
export const studentT: Distribution = {
  name: "t",
  shapeNames: ["nu"],
  shapeStart: [8],
  shapeBounds: [[2, Number.POSITIVE_INFINITY]],
  shapeLimits: [[2.01, 500]],
  kernel(shape, offset) {
    const nu = shape[offset]!;
    const nm2 = nu - 2;
    const half = (nu + 1) / 2;
    const c = lgamma(half) - lgamma(nu / 2) - 0.5 * Math.log(Math.PI * nm2);
    const dc = 0.5 * digamma(half) - 0.5 * digamma(nu / 2) - 0.5 / nm2;
    return {
      logDensity(e, h, d) {
        const e2 = e * e;
        const s = e2 / (h * nm2);
        const l1s = Math.log1p(s);
        if (d) {
          const denom = h * nm2 + e2;
          d[0] = (-(nu + 1) * e) / denom;
          d[1] = -0.5 / h + (half * e2) / (h * denom);
          d[2] = dc - 0.5 * l1s + (half * s) / (nm2 * (1 + s));
        }
        return c - 0.5 * Math.log(h) - half * l1s;
      },
    };
  },
};

/** Generalised error distribution with shape nu > 0 (nu = 2: normal; nu = 1: Laplace). */
export const ged: Distribution = {
  name: "ged",
  shapeNames: ["nu"],
  shapeStart: [1.5],
  shapeBounds: [[0, Number.POSITIVE_INFINITY]],
  shapeLimits: [[0.05, 50]],
  kernel(shape, offset) {
    const nu = shape[offset]!;
    const inv = 1 / nu;
    // lambda scales the density to unit variance: lambda^2 = 2^(-2/nu) Γ(1/nu) / Γ(3/nu).
    const logLam = -inv * LN2 + 0.5 * lgamma(inv) - 0.5 * lgamma(3 * inv);
    const dLogLam = inv * inv * (LN2 - 0.5 * digamma(inv) + 1.5 * digamma(3 * inv));
    const c = Math.log(nu) - logLam - (1 + inv) * LN2 - lgamma(inv);
    const dc = inv - dLogLam + inv * inv * (LN2 + digamma(inv));
    return {
      logDensity(e, h, d) {
        const logH = Math.log(h);
        if (e === 0) {
          if (d) {
            d[0] = 0;
            d[1] = -0.5 / h;
            d[2] = dc;
          }
          return c - 0.5 * logH;
        }
        const logU = Math.log(Math.abs(e)) - logLam - 0.5 * logH;
        const uNu = Math.exp(nu * logU);
        if (d) {
          d[0] = (-0.5 * nu * uNu) / e;
          d[1] = (0.25 * nu * uNu - 0.5) / h;
          d[2] = dc - 0.5 * uNu * (logU - nu * dLogLam);
        }
        return c - 0.5 * uNu - 0.5 * logH;
      },
    };
  },
};

/** Hansen's (1994) skewed t: nu > 2, -1 < lambda < 1 (lambda = 0: the standardised t). */
export const skewT: Distribution = {
  name: "skewt",
  shapeNames: ["nu", "lambda"],
  shapeStart: [8, 0],
  shapeBounds: [
    [2, Number.POSITIVE_INFINITY],
    [-1, 1],
  ],
  shapeLimits: [
    [2.01, 500],
    [-0.995, 0.995],
  ],
  kernel(shape, offset) {
    const nu = shape[offset]!;
    const lam = shape[offset + 1]!;
    const nm2 = nu - 2;
    const half = (nu + 1) / 2;
    const logC = lgamma(half) - lgamma(nu / 2) - 0.5 * Math.log(Math.PI * nm2);
    const dLogC = 0.5 * digamma(half) - 0.5 * digamma(nu / 2) - 0.5 / nm2;
    const c = Math.exp(logC);
    const dcNu = c * dLogC;
    const a = (4 * lam * c * nm2) / (nu - 1);
    const daNu = 4 * lam * ((dcNu * nm2) / (nu - 1) + c / ((nu - 1) * (nu - 1)));
    const daLam = (4 * c * nm2) / (nu - 1);
    const b = Math.sqrt(1 + 3 * lam * lam - a * a);
    const dbNu = (-a * daNu) / b;
    const dbLam = (3 * lam - a * daLam) / b;
    const base = Math.log(b) + logC;
    return {
      logDensity(e, h, d) {
        const sh = Math.sqrt(h);
        const z = e / sh;
        const bza = b * z + a;
        const sgn = bza < 0 ? -1 : 1;
        const dd = 1 + sgn * lam;
        const y = bza / dd;
        const q = (y * y) / nm2;
        const l1q = Math.log1p(q);
        if (d) {
          const dz = (-(nu + 1) * y * b) / (dd * nm2 * (1 + q));
          d[0] = dz / sh;
          d[1] = (-0.5 * (dz * z + 1)) / h;
          const dyNu = (dbNu * z + daNu) / dd;
          const dyLam = (dbLam * z + daLam) / dd - (y * sgn) / dd;
          const dqNu = (2 * y * dyNu - q) / nm2;
          const dqLam = (2 * y * dyLam) / nm2;
          d[2] = dbNu / b + dLogC - 0.5 * l1q - (half * dqNu) / (1 + q);
          d[3] = dbLam / b - (half * dqLam) / (1 + q);
        }
        return base - half * l1q - 0.5 * Math.log(h);
      },
    };
  },
};

const BY_NAME: Record<DistName, Distribution> = { normal, t: studentT, skewt: skewT, ged };

export function distribution(name: DistName): Distribution {
  return BY_NAME[name];
}
