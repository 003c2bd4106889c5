import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ewmaBackcast, garchRecursion, garchRecursionGrad } from "./general.js";

/** Naive reference: plain arrays, pre-sample values spelled out. */
function naive(
  omega: number,
  alpha: number[],
  beta: number[],
  e: number[],
  t0: number,
  backcast: number,
): number[] {
  const h: number[] = [];
  for (let t = t0; t < e.length; t++) {
    let v = omega;
    alpha.forEach((a, i) => {
      const s = t - i - 1;
      v += a * (s >= t0 ? e[s]! ** 2 : backcast);
    });
    beta.forEach((b, j) => {
      const s = t - j - 1;
      v += b * (s >= t0 ? h[s - t0]! : backcast);
    });
    h.push(v);
  }
  return h;
}

const coef = fc.double({ min: 0, max: 0.45, noNaN: true });
const caseArb = fc.record({
  p: fc.integer({ min: 1, max: 3 }),
  q: fc.integer({ min: 0, max: 3 }),
  t0: fc.integer({ min: 0, max: 3 }),
  e: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 8, maxLength: 40 }),
  omega: fc.double({ min: 1e-3, max: 2, noNaN: true }),
  backcast: fc.double({ min: 1e-2, max: 3, noNaN: true }),
  coefs: fc.array(coef, { minLength: 6, maxLength: 6 }),
});

describe("garchRecursion", () => {
  it("matches a naive reference on random inputs", () => {
    fc.assert(
      fc.property(caseArb, ({ p, q, t0, e, omega, backcast, coefs }) => {
        const theta = Float64Array.from(coefs.slice(0, p + q));
        const h = new Float64Array(e.length);
        garchRecursion(
          theta,
          omega,
          0,
          p,
          p,
          q,
          Float64Array.from(e),
          t0,
          e.length,
          backcast,
          0,
          1e300,
          h,
          new Float64Array(e.length),
        );
        const ref = naive(omega, coefs.slice(0, p), coefs.slice(p, p + q), e, t0, backcast);
        ref.forEach((v, i) => {
          expect(h[t0 + i]).toBeCloseTo(v, 10);
        });
      }),
    );
  });

  it("stays finite and within the soft bounds on huge residuals and non-stationary θ", () => {
    const e = Float64Array.from({ length: 200 }, (_, t) =>
      t % 7 === 0 ? 1e150 : t % 2 ? 1e-8 : -3,
    );
    const theta = Float64Array.from([5, 0.5, 3]); // alpha 5 + 0.5, beta 3: explosive
    const h = new Float64Array(e.length);
    const [lo, hi] = [1e-10, 1e8];
    garchRecursion(theta, 1, 0, 2, 2, 1, e, 0, e.length, 1, lo, hi, h, new Float64Array(e.length));
    for (const v of h) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThan(hi + 1000); // logarithmic growth above hi
    }
    // A variance below the floor is floored.
    const low = new Float64Array(4);
    garchRecursion(
      Float64Array.from([0]),
      1e-20,
      0,
      1,
      1,
      0,
      new Float64Array(4),
      0,
      4,
      1e-20,
      lo,
      hi,
      low,
      new Float64Array(4),
    );
    expect([...low]).toEqual([lo, lo, lo, lo]);
  });
});

describe("garchRecursionGrad", () => {
  it("gives the same variances and derivatives that match finite differences", () => {
    fc.assert(
      fc.property(caseArb, ({ p, q, t0, e, omega, backcast, coefs }) => {
        // θ = [omega, alpha.., beta..]; no mean parameters, fixed backcast.
        const k = 1 + p + q;
        const theta = Float64Array.from([omega, ...coefs.slice(0, p + q)]);
        const n = e.length;
        const ef = Float64Array.from(e);
        const dOmega = new Float64Array(k);
        dOmega[0] = 1;
        const h = new Float64Array(n);
        const dh = new Float64Array(n * k);
        // The arguments both recursions take first: parameters, orders, residuals, bounds.
        const common = (th: Float64Array) =>
          [th, th[0]!, 1, p, 1 + p, q, ef, t0, n, backcast, 0, 1e300] as const;
        const de = new Float64Array(0); // no mean parameters: the residuals have no derivative
        garchRecursionGrad(...common(theta), k, 0, dOmega, new Float64Array(k), de, h, dh);
        /** The plain recursion's variances at parameters `th`. */
        const variances = (th: Float64Array): Float64Array => {
          const out = new Float64Array(n);
          garchRecursion(...common(th), out, new Float64Array(n));
          return out;
        };
        const plain = variances(theta);
        for (let t = t0; t < n; t++) expect(h[t]).toBeCloseTo(plain[t]!, 12);
        for (let i = 0; i < k; i++) {
          const step = 1e-6;
          const up = Float64Array.from(theta);
          up[i] += step;
          const dn = Float64Array.from(theta);
          dn[i] -= step;
          const hu = variances(up);
          const hd = variances(dn);
          for (let t = t0; t < n; t++) {
            const fd = (hu[t]! - hd[t]!) / (2 * step);
            expect(Math.abs(dh[t * k + i]! - fd)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("ewmaBackcast", () => {
  it("is arch's weighted mean of squared deviations over the first 75 observations", () => {
    const r = Float64Array.from({ length: 120 }, (_, i) => Math.sin(i) + (i % 3));
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < 75; i++) {
      num += 0.94 ** i * (r[i]! - mean) ** 2;
      den += 0.94 ** i;
    }
    expect(ewmaBackcast(r)).toBeCloseTo(num / den, 12);
    const short = Float64Array.from([1, -1, 2]);
    const m = 2 / 3;
    const w = [1, 0.94, 0.94 ** 2];
    const ref =
      w.reduce((s, wi, i) => s + wi * (short[i]! - m) ** 2, 0) / w.reduce((a, b) => a + b, 0);
    expect(ewmaBackcast(short)).toBeCloseTo(ref, 12);
  });
});
