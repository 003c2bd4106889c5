/**
 * A small seeded uniform generator (Mulberry32) for simulations and synthetic traffic: every
 * stochastic routine takes a seed, so a simulation gives the same numbers on every run.
 */

/** Uniform numbers in [0, 1) from a 32-bit seed. Fast and small; not for cryptography. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
