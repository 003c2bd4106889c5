import { describe, expect, it } from "vitest";
import { ged, normal, skewT, studentT } from "./distributions.js";

const cases = [
  { dist: normal, shape: [] as number[] },
  { dist: studentT, shape: [2.5] },
  { dist: studentT, shape: [7] },
  { dist: ged, shape: [1] },
  { dist: ged, shape: [1.6] },
  { dist: ged, shape: [2] },
  { dist: skewT, shape: [5, -0.4] },
  { dist: skewT, shape: [12, 0.3] },
];

/** Moments of the density over a wide grid (trapezoid in z = e / sqrt(h), with h = 1). */
function moments(logDensity: (z: number) => number, tail: number): [number, number, number] {
  const step = 1e-3;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let z = -tail; z <= tail; z += step) {
    const f = Math.exp(logDensity(z));
    m0 += f * step;
    m1 += z * f * step;
    m2 += z * z * f * step;
  }
  return [m0, m1, m2];
}

describe("innovation distributions", () => {
  it.each(cases)(
    "$dist.name $shape integrates to 1 with mean 0 and variance 1",
    ({ dist, shape }) => {
      const kernel = dist.kernel(shape, 0);
      // Heavy t tails converge slowly: integrate far out and check the variance less tightly.
      const nu = dist === ged ? Number.POSITIVE_INFINITY : (shape[0] ?? Number.POSITIVE_INFINITY);
      const [m0, m1, m2] = moments((z) => kernel.logDensity(z, 1, null), nu < 6 ? 2000 : 60);
      expect(m0).toBeCloseTo(1, 5);
      expect(m1).toBeCloseTo(0, 4);
      expect(Math.abs(m2 - 1)).toBeLessThan(nu < 3 ? 0.05 : 1e-4);
    },
  );

  it.each(cases)(
    "$dist.name $shape has analytic derivatives that match central differences",
    ({ dist, shape }) => {
      const d = new Float64Array(2 + shape.length);
      for (const [e, h] of [
        [0.3, 0.8],
        [-1.7, 2.5],
        [2.2, 0.4],
        [-0.05, 1.1],
      ] as const) {
        const kernel = dist.kernel(shape, 0);
        const ll = kernel.logDensity(e, h, d);
        expect(kernel.logDensity(e, h, null)).toBe(ll);
        const fd = (f: (x: number) => number, x: number) => {
          const s = 1e-6 * Math.max(1, Math.abs(x));
          return (f(x + s) - f(x - s)) / (2 * s);
        };
        expect(d[0]).toBeCloseTo(
          fd((x) => kernel.logDensity(x, h, null), e),
          6,
        );
        expect(d[1]).toBeCloseTo(
          fd((x) => kernel.logDensity(e, x, null), h),
          6,
        );
        shape.forEach((v, i) => {
          const at = (x: number) => {
            const s = [...shape];
            s[i] = x;
            return dist.kernel(s, 0).logDensity(e, h, null);
          };
          expect(d[2 + i]).toBeCloseTo(fd(at, v), 6);
        });
      }
    },
  );

  it("normal has the full constant, and GED with nu = 2 and t with large nu are normal", () => {
    const n = normal.kernel([], 0).logDensity(0.7, 1.3, null);
    expect(n).toBeCloseTo(-0.5 * (Math.log(2 * Math.PI) + Math.log(1.3) + 0.49 / 1.3), 14);
    expect(ged.kernel([2], 0).logDensity(0.7, 1.3, null)).toBeCloseTo(n, 12);
    expect(studentT.kernel([1e6], 0).logDensity(0.7, 1.3, null)).toBeCloseTo(n, 5);
    expect(skewT.kernel([9, 0], 0).logDensity(0.7, 1.3, null)).toBeCloseTo(
      studentT.kernel([9], 0).logDensity(0.7, 1.3, null),
      12,
    );
  });
});
