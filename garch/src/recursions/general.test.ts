import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ewmaBackcast, garchAdjoint, garchRecursion, garchRecursionGrad } from "./general.js";

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
        const r = new Float64Array(0); // no mean parameters: the returns are not read
        const dv = new Float64Array(n);
        garchRecursionGrad(...common(theta), k, 0, dOmega, new Float64Array(k), r, h, dv, dh);
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

/**
 * The kernels as plainly written, one t at a time with every branch inside (what they computed
 * before their loops were rearranged for V8): the kernels must give these to the bit.
 */
const plain = {
  step(
    th: Float64Array,
    p: number,
    q: number,
    e: Float64Array,
    h: Float64Array,
    t: number,
    t0: number,
    back: number,
  ): number {
    let v = th[0]!;
    for (let i = 1; i <= p; i++) v += th[i]! * (t - i >= t0 ? e[t - i]! * e[t - i]! : back);
    for (let j = 1; j <= q; j++) v += th[p + j]! * (t - j >= t0 ? h[t - j]! : back);
    return v;
  },
  /** h, the slopes dv, and dh (n x k, θ = [omega, alpha.., beta..], no mean parameters). */
  forward(
    th: Float64Array,
    p: number,
    q: number,
    e: Float64Array,
    t0: number,
    back: number,
    lo: number,
    hi: number,
  ) {
    const n = e.length;
    const k = 1 + p + q;
    const [h, dv, dh] = [new Float64Array(n), new Float64Array(n), new Float64Array(n * k)];
    for (let t = t0; t < n; t++) {
      const v = plain.step(th, p, q, e, h, t, t0, back);
      for (let kk = 0; kk < k; kk++) {
        let g = kk === 0 ? 1 : 0;
        for (let j = 1; j <= q; j++) g += th[p + j]! * (t - j >= t0 ? dh[(t - j) * k + kk]! : 0);
        dh[t * k + kk] = g;
      }
      for (let i = 1; i <= p; i++) dh[t * k + i] += t - i >= t0 ? e[t - i]! * e[t - i]! : back;
      for (let j = 1; j <= q; j++) dh[t * k + p + j] += t - j >= t0 ? h[t - j]! : back;
      const inside = v >= lo && v <= hi;
      h[t] = inside ? v : v < lo ? lo : hi + Math.log(v / hi);
      dv[t] = inside ? 1 : v < lo ? 0 : 1 / v;
      for (let kk = 0; kk < k; kk++) {
        if (v < lo) dh[t * k + kk] = 0;
        else if (v > hi) dh[t * k + kk] /= v;
      }
    }
    return { h, dv, dh };
  },
  /** The adjoint's grad (omega's entry left 0), ge and sums, t descending. */
  adjoint(
    th: Float64Array,
    p: number,
    q: number,
    e: Float64Array,
    t0: number,
    back: number,
    h: Float64Array,
    dv: Float64Array,
    lh: Float64Array,
  ) {
    const n = e.length;
    const [mu, ge, grad] = [
      new Float64Array(n),
      Float64Array.from(lh),
      new Float64Array(1 + p + q),
    ];
    let [sumMu, dBack] = [0, 0];
    for (let t = n - 1; t >= t0; t--) {
      let lambda = lh[t]!;
      for (let j = 1; j <= q && t + j < n; j++) lambda += th[p + j]! * mu[t + j]!;
      const m = lambda * dv[t]!;
      mu[t] = m;
      sumMu += m;
      for (let i = 1; i <= p; i++) {
        if (t - i >= t0) {
          const es = e[t - i]!;
          grad[i] += m * es * es;
          ge[t - i] += 2 * es * th[i]! * m;
        } else {
          grad[i] += m * back;
          dBack += m * th[i]!;
        }
      }
      for (let j = 1; j <= q; j++) {
        if (t - j >= t0) grad[p + j] += m * h[t - j]!;
        else {
          grad[p + j] += m * back;
          dBack += m * th[p + j]!;
        }
      }
    }
    return { grad, ge, sums: [sumMu, dBack] };
  },
};

describe("the kernels' rearranged loops", () => {
  it("give the plain per-t recursion, its derivatives and its adjoint to the bit, on and off the bounds", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.constantFrom([0, 1e300], [0.3, 4], [1e-3, 2]),
        ({ p, q, t0, e, omega, backcast, coefs }, [lo, hi]) => {
          const k = 1 + p + q;
          const th = Float64Array.from([omega, ...coefs.slice(0, p + q).map((c) => 2.5 * c)]);
          const ef = Float64Array.from(e);
          const n = ef.length;
          const ref = plain.forward(th, p, q, ef, t0, backcast, lo, hi);
          const args = [th, omega, 1, p, 1 + p, q, ef, t0, n, backcast, lo, hi] as const;
          const [h, dv] = [new Float64Array(n), new Float64Array(n)];
          garchRecursion(...args, h, dv);
          expect(Array.from(h)).toEqual(Array.from(ref.h));
          expect(Array.from(dv)).toEqual(Array.from(ref.dv));
          const dOmega = Float64Array.from({ length: k }, (_, i) => (i === 0 ? 1 : 0));
          const dh = new Float64Array(n * k);
          const none = new Float64Array(0); // no mean parameters: the returns are not read
          garchRecursionGrad(...args, k, 0, dOmega, new Float64Array(k), none, h, dv, dh);
          expect(Array.from(dh)).toEqual(Array.from(ref.dh));
          const lh = Float64Array.from(ef, (x, t) => Math.cos(t) * (1 + x));
          const adj = plain.adjoint(th, p, q, ef, t0, backcast, ref.h, ref.dv, lh);
          const [grad, ge, sums] = [
            new Float64Array(k),
            Float64Array.from(lh),
            new Float64Array(2),
          ];
          garchAdjoint(
            th,
            1,
            p,
            1 + p,
            q,
            ef,
            t0,
            n,
            backcast,
            h,
            dv,
            lh,
            new Float64Array(n),
            ge,
            grad,
            sums,
          );
          expect(Array.from(grad)).toEqual(Array.from(adj.grad));
          expect(Array.from(ge)).toEqual(Array.from(adj.ge));
          expect(Array.from(sums)).toEqual(adj.sums);
        },
      ),
      { numRuns: 300 },
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
