/**
 * Newton steps under the constraints (constraints.ts), shared by every optimiser stage.
 *
 * At θ with gradient g and a positive definite curvature M (-H, or a quasi-Newton estimate of
 * it), the step maximises the quadratic model g'd - d'Md/2 subject to the constraints that
 * hold at θ: a parameter on a limit stays there (d_i = 0) and, on the persistence limit, the
 * step keeps the sum (Σ d_i = 0 over alpha and beta). Which of them to keep is decided by their
 * Lagrange multipliers: one whose multiplier has the wrong sign (the model gains by leaving
 * it) is released, and one released whose step would leave the set is held again, until the
 * signs agree. At d = 0 that is the KKT condition: the step's decrement g'd, about twice the
 * log-likelihood still to gain, is the projected gradient measured in the metric of M^{-1}.
 *
 * The caller then takes the step up to the first constraint it meets (`maxStep`) and lands on
 * that constraint exactly (`moveTo`), so an optimum on a bound is reached in finitely many
 * steps instead of approached forever.
 */
import { cholesky, choleskySolve } from "../linalg.js";
import { type Constraints, capPersistence, persistenceOf } from "./constraints.js";

/** Held at a limit: 0 free, 1 on the lower limit, 2 on the upper. */
export const FREE = 0;
export const AT_LOWER = 1;
export const AT_UPPER = 2;

/** A persistence within this of its largest allowed value counts as on that limit. */
const PERSISTENCE_TOL = 1e-12;
/** A multiplier whose gain from release (μ² / 2 M_ii) is below this is treated as zero. */
const RELEASE_GAIN = 1e-18;

export interface Step {
  /** The step (0 on every held coordinate). */
  readonly d: Float64Array;
  /** g'd: about twice the log-likelihood the quadratic model still expects to gain. */
  readonly decrement: number;
  /** M had to be damped to be positive definite on the free coordinates (not a Newton step). */
  readonly regularised: boolean;
  /** Per coordinate: FREE, AT_LOWER or AT_UPPER (held by the step). */
  readonly held: Uint8Array;
  /** The step holds the persistence constraint. */
  readonly onPersistence: boolean;
}

/** The coordinates `held` leaves free, in order. */
export function freeCoordinates(held: Uint8Array): number[] {
  const free: number[] = [];
  held.forEach((h, i) => {
    if (h === FREE) free.push(i);
  });
  return free;
}

/** Whether θ's persistence is on its largest allowed value. */
function onPersistenceLimit(c: Constraints, theta: ArrayLike<number>): boolean {
  return (
    Number.isFinite(c.maxPersistence) &&
    persistenceOf(c, theta) >= c.maxPersistence - PERSISTENCE_TOL
  );
}

interface Solution {
  d: Float64Array;
  /** Multiplier of the persistence constraint (0 when not held). */
  lambda: number;
  regularised: boolean;
}

/**
 * The step on the free coordinates with the held ones at 0 and, if `onPersistence`, the sum of
 * the free ARCH and GARCH steps at 0. M is damped (Marquardt: + mu diag|M|) where it is not
 * positive definite on the free coordinates.
 */
function solveHeld(
  c: Constraints,
  m: Float64Array,
  g: ArrayLike<number>,
  held: Uint8Array,
  onPersistence: boolean,
): Solution {
  const k = c.k;
  const free = freeCoordinates(held);
  // On the persistence limit with one ARCH or GARCH coefficient free, the sum pins that one too:
  // it takes no step, and the curvature along it (which may well be convex there, the
  // likelihood still rising past the limit) is no part of the problem.
  let pinned = -1;
  if (onPersistence) {
    const group = free.filter((i) => i >= c.from && i < c.to);
    if (group.length === 1) {
      pinned = group[0]!;
      free.splice(free.indexOf(pinned), 1);
    }
  }
  const f = free.length;
  const d = new Float64Array(k);
  if (f === 0) return { d, lambda: pinned < 0 ? 0 : g[pinned]!, regularised: false };
  const mf = new Float64Array(f * f);
  const gf = new Float64Array(f);
  const af = new Float64Array(f);
  let inGroup = 0;
  let top = 0;
  for (let a = 0; a < f; a++) {
    const i = free[a]!;
    gf[a] = g[i]!;
    if (i >= c.from && i < c.to) {
      af[a] = 1;
      inGroup++;
    }
    for (let b = 0; b < f; b++) mf[a * f + b] = m[i * k + free[b]!]!;
    top = Math.max(top, Math.abs(mf[a * f + a]!));
  }
  let l = cholesky(mf, f);
  let regularised = false;
  for (let mu = 1e-3; !l && mu < 1e9; mu *= 10) {
    regularised = true;
    const damped = Float64Array.from(mf);
    for (let a = 0; a < f; a++) {
      damped[a * f + a] += mu * Math.max(Math.abs(mf[a * f + a]!), 1e-12 * top, 1e-300);
    }
    l = cholesky(damped, f);
  }
  if (!l) return { d, lambda: 0, regularised: true };
  const y = choleskySolve(l, f, gf);
  let lambda = 0;
  if (onPersistence && inGroup > 0) {
    const z = choleskySolve(l, f, af);
    let ay = 0;
    let az = 0;
    for (let a = 0; a < f; a++) {
      ay += af[a]! * y[a]!;
      az += af[a]! * z[a]!;
    }
    lambda = ay / az;
    for (let a = 0; a < f; a++) y[a] = y[a]! - lambda * z[a]!;
  }
  for (let a = 0; a < f; a++) d[free[a]!] = y[a]!;
  if (pinned >= 0) {
    // Its multiplier: what is left of its gradient after the step (r = 0 there).
    lambda = g[pinned]!;
    for (const b of free) lambda -= m[pinned * k + b]! * d[b]!;
  }
  return { d, lambda, regularised };
}

/**
 * The constrained Newton step at θ (see the module comment). `m` is k x k, positive definite
 * where possible; it is damped on the free coordinates where it is not.
 */
export function activeSetStep(
  c: Constraints,
  theta: ArrayLike<number>,
  g: ArrayLike<number>,
  m: Float64Array,
): Step {
  const k = c.k;
  const held = new Uint8Array(k);
  const atLimit = new Uint8Array(k);
  let anyAtLimit = false;
  for (let i = 0; i < k; i++) {
    if (theta[i]! <= c.lower[i]!) atLimit[i] = AT_LOWER;
    else if (theta[i]! >= c.upper[i]!) atLimit[i] = AT_UPPER;
    held[i] = atLimit[i]!;
    anyAtLimit ||= held[i] !== FREE;
  }
  const persistenceAtLimit = onPersistenceLimit(c, theta);
  if (!anyAtLimit && !persistenceAtLimit) {
    // Strictly inside (the usual case): the plain Newton step, when M is positive definite.
    const l = cholesky(m, k);
    if (l) {
      const d = choleskySolve(l, k, g);
      let decrement = 0;
      for (let i = 0; i < k; i++) decrement += g[i]! * d[i]!;
      return { d, decrement, regularised: false, held, onPersistence: false };
    }
  }
  let onPersistence = persistenceAtLimit;
  // A constraint released and then held again stays held: no cycling.
  const settled = new Uint8Array(k);
  let persistenceSettled = false;
  let sol = solveHeld(c, m, g, held, onPersistence);
  for (let round = 0; round < 2 * k + 2; round++) {
    const { d, lambda } = sol;
    // A released constraint the step would leave: hold it again (the most violated first).
    let worst = -1;
    let worstMove = 0;
    for (let i = 0; i < k; i++) {
      if (held[i] !== FREE || atLimit[i] === FREE) continue;
      const out = atLimit[i] === AT_LOWER ? -d[i]! : d[i]!;
      const scaled = out * Math.sqrt(Math.abs(m[i * k + i]!));
      if (out > 0 && scaled > worstMove) {
        worst = i;
        worstMove = scaled;
      }
    }
    if (worst >= 0) {
      held[worst] = atLimit[worst]!;
      settled[worst] = 1;
      sol = solveHeld(c, m, g, held, onPersistence);
      continue;
    }
    if (persistenceAtLimit && !onPersistence) {
      let sum = 0;
      for (let i = c.from; i < c.to; i++) sum += d[i]!;
      if (sum > 0) {
        onPersistence = true;
        persistenceSettled = true;
        sol = solveHeld(c, m, g, held, onPersistence);
        continue;
      }
    }
    // A held constraint whose multiplier has the wrong sign: release the one that gains most.
    const r = residual(c, m, g, d, lambda);
    let release = -1;
    let gain = RELEASE_GAIN;
    for (let i = 0; i < k; i++) {
      // A parameter whose limits coincide is fixed there (optimize/kink.ts): never released.
      if (held[i] === FREE || settled[i] || c.lower[i] === c.upper[i]) continue;
      const multiplier = held[i] === AT_LOWER ? -r[i]! : r[i]!;
      const mii = Math.abs(m[i * k + i]!);
      const g2 = mii > 0 ? (multiplier * multiplier) / (2 * mii) : Number.POSITIVE_INFINITY;
      if (multiplier < 0 && g2 > gain) {
        release = i;
        gain = g2;
      }
    }
    const releasePersistence = onPersistence && !persistenceSettled && lambda < 0;
    if (release < 0 && !releasePersistence) break;
    if (release >= 0) held[release] = FREE;
    else onPersistence = false;
    sol = solveHeld(c, m, g, held, onPersistence);
  }
  let decrement = 0;
  for (let i = 0; i < k; i++) decrement += g[i]! * sol.d[i]!;
  return {
    d: sol.d,
    decrement,
    regularised: sol.regularised,
    held,
    onPersistence: onPersistence && persistenceAtLimit,
  };
}

/** r = g - M d - lambda a: on a held coordinate, minus (lower) or plus (upper) its multiplier. */
function residual(
  c: Constraints,
  m: Float64Array,
  g: ArrayLike<number>,
  d: Float64Array,
  lambda: number,
): Float64Array {
  const k = c.k;
  const r = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let v = g[i]!;
    for (let j = 0; j < k; j++) v -= m[i * k + j]! * d[j]!;
    if (i >= c.from && i < c.to) v -= lambda;
    r[i] = v;
  }
  return r;
}

/** The longest step along d (at most 1) that stays feasible, and the constraint it meets. */
export interface Reach {
  readonly alpha: number;
  /** The coordinate that reaches its limit at `alpha`, -2 for the persistence limit, -1 none. */
  readonly blocking: number;
}

const PERSISTENCE_BLOCKS = -2;

export function maxStep(c: Constraints, theta: ArrayLike<number>, d: ArrayLike<number>): Reach {
  let alpha = 1;
  let blocking = -1;
  for (let i = 0; i < c.k; i++) {
    const di = d[i]!;
    if (di < 0 && Number.isFinite(c.lower[i]!)) {
      const a = (c.lower[i]! - theta[i]!) / di;
      if (a < alpha) {
        alpha = Math.max(a, 0);
        blocking = i;
      }
    } else if (di > 0 && Number.isFinite(c.upper[i]!)) {
      const a = (c.upper[i]! - theta[i]!) / di;
      if (a < alpha) {
        alpha = Math.max(a, 0);
        blocking = i;
      }
    }
  }
  if (Number.isFinite(c.maxPersistence)) {
    let sd = 0;
    let size = 0;
    for (let i = c.from; i < c.to; i++) {
      sd += d[i]!;
      size += Math.abs(d[i]!);
    }
    // A step that holds the sum moves it by rounding only (moveTo keeps it feasible).
    if (sd > 1e-12 * size) {
      const a = (c.maxPersistence - persistenceOf(c, theta)) / sd;
      if (a < alpha) {
        alpha = Math.max(a, 0);
        blocking = PERSISTENCE_BLOCKS;
      }
    }
  }
  return { alpha, blocking };
}

/**
 * θ + t d, landing exactly on the constraint `reach` names when t is its `alpha`, and kept
 * within every limit against rounding.
 */
export function moveTo(
  c: Constraints,
  theta: ArrayLike<number>,
  d: ArrayLike<number>,
  t: number,
  reach: Reach,
): Float64Array {
  const k = c.k;
  const next = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = theta[i]! + t * d[i]!;
    next[i] = Math.min(Math.max(v, c.lower[i]!), c.upper[i]!);
  }
  if (t === reach.alpha && reach.blocking >= 0) {
    const i = reach.blocking;
    next[i] = d[i]! < 0 ? c.lower[i]! : c.upper[i]!;
  }
  capPersistence(c, next);
  if (t === reach.alpha && reach.blocking === PERSISTENCE_BLOCKS) {
    // Land on the persistence limit: give the rounding shortfall to the largest coefficient.
    let top = c.from;
    for (let i = c.from; i < c.to; i++) if (next[i]! > next[top]!) top = i;
    next[top] = next[top]! + (c.maxPersistence - persistenceOf(c, next));
    capPersistence(c, next);
  }
  return next;
}

/**
 * The projected gradient at θ: the gradient without its components that push against a limit
 * θ is on (and, on the persistence limit, without the common outward push of the free ARCH and
 * GARCH coefficients). 0 at a KKT point.
 */
export function projectedGradient(
  c: Constraints,
  theta: ArrayLike<number>,
  g: ArrayLike<number>,
): Float64Array {
  const k = c.k;
  const pg = Float64Array.from(g);
  const free = new Uint8Array(k).fill(1);
  for (let i = 0; i < k; i++) {
    if (theta[i]! <= c.lower[i]! && pg[i]! <= 0) {
      pg[i] = 0;
      free[i] = 0;
    } else if (theta[i]! >= c.upper[i]! && pg[i]! >= 0) {
      pg[i] = 0;
      free[i] = 0;
    }
  }
  if (onPersistenceLimit(c, theta)) {
    let sum = 0;
    let count = 0;
    for (let i = c.from; i < c.to; i++) {
      if (free[i]) {
        sum += pg[i]!;
        count++;
      }
    }
    const push = count > 0 ? sum / count : 0;
    if (push > 0) for (let i = c.from; i < c.to; i++) if (free[i]) pg[i] = pg[i]! - push;
  }
  return pg;
}
