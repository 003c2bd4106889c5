/**
 * Seeded pseudo-random numbers. xoshiro128** seeded through SplitMix32: 32-bit integer arithmetic
 * only, so the same seed gives the same stream on every platform and in every thread.
 */

const UINT32 = 2 ** 32;

/** Largest seed accepted anywhere a `seed` option is taken. */
export const MAX_SEED = UINT32 - 1;

function splitMix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

/**
 * Derives an independent seed for stream `index` of a seeded family (e.g. tree `index` of a
 * forest), so each member's randomness depends only on (seed, index) and not on which thread or
 * in which order it runs.
 */
export function deriveSeed(seed: number, index: number): number {
  let mixed = splitMix32(seed >>> 0);
  mixed = splitMix32((mixed.value ^ Math.imul(index + 1, 0x27d4eb2d)) | 0);
  return mixed.value;
}

/** A seeded generator of uniform integers and floats. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let sm = { state: seed | 0, value: 0 };
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      sm = splitMix32(sm.state);
      words.push(sm.value | 0);
    }
    // xoshiro's state must not be all zero; SplitMix32 never yields four zero words in a row.
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
  }

  /** The next uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling); n must be in [1, 2^32]. */
  nextInt(n: number): number {
    const limit = UINT32 - (UINT32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / UINT32;
  }

  /** Shuffles `items` in place (Fisher–Yates). */
  shuffle(items: Int32Array): Int32Array {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
