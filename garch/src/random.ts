/**
 * The workspace's one seeded pseudo-random generator (simulation here; forests, sweeps and
 * synthetic traffic in the packages above): xoshiro128** on four uint32 words (Blackman and
 * Vigna), seeded through splitmix32 so that nearby seeds give unrelated streams. Pure 32-bit
 * integer arithmetic (`Math.imul`, `>>>`), so the same seed gives the same stream on every
 * JavaScript engine and in every thread.
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";

/** 2^32: the number of uint32 values. */
const UINT32 = 2 ** 32;
/** 2^-32 and 2^-53: scale factors from integer draws to [0, 1). */
const TWO_POW_M32 = 2 ** -32;
const TWO_POW_M53 = 2 ** -53;
/** Offset of the splitmix32 chain seeded by the high word (first 32 bits of sqrt(2)'s fraction). */
const HIGH_CHAIN = 0x6a09e667;

/**
 * Checks a seed: a non-negative safe integer (0 .. 2^53 - 1).
 * @throws GarchInputError INVALID_OPTION naming `seed`.
 */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `seed must be a non-negative safe integer (got ${formatValue(seed)})`,
    );
  }
  return seed;
}

/** One splitmix32 step on a 32-bit state; returns [new state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/** Two consecutive splitmix32 outputs from a starting state. */
function splitmixPair(state: number): [number, number] {
  const [next, first] = splitmix32(state);
  return [first, splitmix32(next)[1]];
}

/**
 * An independent seed for member `index` of a seeded family (tree `index` of a forest, trial
 * `index` of a sweep, request `index` of a simulation), so each member's stream depends only on
 * (seed, index), not on which thread runs it or in what order. Returns a uint32.
 * @param seed non-negative safe integer; its high 32 bits, when present, are folded in.
 * @param index non-negative integer.
 */
export function deriveSeed(seed: number, index: number): number {
  const high = Math.floor(seed / 2 ** 32);
  const low = high === 0 ? seed >>> 0 : (seed ^ splitmix32(high ^ HIGH_CHAIN)[1]) >>> 0;
  const [, mixed] = splitmix32(low);
  return splitmix32((mixed ^ Math.imul(index + 1, 0x27d4eb2d)) | 0)[1];
}

/** A seeded stream of uniform integers and floats, normal and gamma variates. */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  /** The second normal of the last polar pair, or NaN when none is pending. */
  #spare = Number.NaN;

  /**
   * @param seed non-negative safe integer; both its low and high 32 bits feed the state.
   * @throws GarchInputError INVALID_OPTION for a bad seed.
   */
  constructor(seed: number) {
    checkSeed(seed);
    // The low and the high 32 bits of the seed each start their own splitmix32 chain and fill
    // half of the 128-bit state, so distinct seeds give distinct states. splitmix32's output is
    // a bijection of its counter, so two consecutive outputs are never both zero and the state
    // is never all zero (the one state xoshiro cannot leave). The high chain starts from a
    // different constant so that a seed whose two halves are equal does not fill the state
    // with two copies of one pair.
    const high = Math.floor(seed / 2 ** 32) ^ HIGH_CHAIN;
    const words = [...splitmixPair(seed >>> 0), ...splitmixPair(high)];
    [this.#s0, this.#s1, this.#s2, this.#s3] = words as [number, number, number, number];
  }

  /** Next uint32 (xoshiro128**). */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /**
   * Uniform on [0, 1) with 53-bit resolution (a multiple of 2^-53, built from two uint32
   * draws), so every double-precision step of the interval near 1 is reachable.
   */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling); n must be in [1, 2^32]. */
  nextInt(n: number): number {
    const limit = UINT32 - (UINT32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns them. */
  shuffle<T extends Int32Array | number[]>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** Uniform on the open interval (0, 1): safe to take the logarithm of. */
  nextOpenFloat(): number {
    return (this.nextUint32() + 0.5) * TWO_POW_M32;
  }

  /**
   * Standard normal by Marsaglia's polar method. Each accepted pair yields two independent
   * normals; the second is kept for the next call.
   */
  standardNormal(): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = Number.NaN;
      return z;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.#spare = v * f;
        return u * f;
      }
    }
  }

  /**
   * Gamma(shape, scale 1) by Marsaglia and Tsang (2000). For shape < 1 it draws
   * Gamma(shape + 1) and multiplies by U^(1/shape), their boosting identity.
   * @param shape finite number > 0 (callers validate; the method does not).
   */
  gamma(shape: number): number {
    if (shape < 1) {
      return this.gamma(shape + 1) * this.nextOpenFloat() ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.standardNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextOpenFloat();
      const x2 = x * x;
      // Cheap squeeze first; the logarithmic test only for the few draws it does not settle.
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
