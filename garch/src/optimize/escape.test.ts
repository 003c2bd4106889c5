import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fit } from "../fit.js";
import { simulate } from "../simulate.js";
import { checkSpec } from "../spec.js";
import { symmetricEigen } from "./escape.js";

describe("symmetricEigen", () => {
  it("property: unit eigenvectors of a symmetric matrix, largest eigenvalue first", () => {
    const matrices = fc.integer({ min: 1, max: 6 }).chain((n) =>
      fc
        .array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
          minLength: n * n,
          maxLength: n * n,
        })
        .map((cells) => {
          const a = new Float64Array(n * n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) a[i * n + j] = (cells[i * n + j]! + cells[j * n + i]!) / 2;
          }
          return { n, a };
        }),
    );
    fc.assert(
      fc.property(
        matrices,
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        ({ n, a }, probe) => {
          const { values, vectors } = symmetricEigen(a, n);
          const size = Math.max(1, ...Array.from(a, Math.abs));
          for (let j = 0; j < n; j++) {
            const vector = vectors[j]!;
            let norm = 0;
            for (let i = 0; i < n; i++) {
              let av = 0;
              for (let m = 0; m < n; m++) av += a[i * n + m]! * vector[m]!;
              expect(Math.abs(av - values[j]! * vector[i]!)).toBeLessThan(1e-9 * size);
              norm += vector[i]! ** 2;
            }
            expect(norm).toBeCloseTo(1, 12);
            if (j > 0) expect(values[j]!).toBeLessThanOrEqual(values[j - 1]!);
          }
          const value = values[0]!;
          // No direction has a larger Rayleigh quotient.
          const x = probe.slice(0, n);
          const xx = x.reduce((s, v) => s + v * v, 0);
          if (xx > 1e-6) {
            let xax = 0;
            for (let i = 0; i < n; i++)
              for (let j = 0; j < n; j++) xax += x[i]! * a[i * n + j]! * x[j]!;
            expect(xax / xx).toBeLessThanOrEqual(value + 1e-9 * size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("a fit that ends in a saddle", () => {
  it.each([29, 34])(
    "leaves it along the positive curvature and converges (white noise, n = 2000, seed %i)",
    (seed) => {
      // The quasi-Newton stage ended in a saddle of the flat alpha = 0 valley, where neither
      // polishing nor Newton could move, and the fit said not converged.
      const white = { mu: 0, omega: 1, alpha: [0], beta: [0] };
      const x = simulate(checkSpec({}), white, 2000, { seed }).returns;
      const r = fit(x);
      expect(r.converged, r.message).toBe(true);
    },
  );
});

describe("a fit of a heavier-tailed model that polishing leaves short", () => {
  it.each([
    ["t", 501],
    ["ged", 506],
  ] as const)("finishes on white noise with %s innovations (n = 500, seed %i)", (dist, seed) => {
    // The quasi-Newton stage and polishing ended in a saddle of the flat alpha = 0 valley, or
    // short of the KKT point; they now run again from there or from the better side.
    const white = { mu: 0, omega: 1, alpha: [0], beta: [0] };
    const x = simulate(checkSpec({}), white, 500, { seed }).returns;
    const r = fit(x, { dist });
    expect(r.converged, r.message).toBe(true);
  });
});
