import { Random } from "@mlops/garch/random";
import { describe, expect, it } from "vitest";
import { clusteredSummary, designEffect, type UnitSums } from "./clustered.js";
import { MAX_CANCELLATION_ERROR, momentsOf, summarize } from "./moments.js";
import { defaultTau2, msprtMeans } from "./sequential.js";
import { welchTTestFromSummary } from "./two-sample.js";

/** The moments and per-unit sums of observations grouped by unit. */
function arm(units: readonly (readonly number[])[], shift = 0) {
  const sumOf = (u: readonly number[]) => u.reduce((a, x) => a + (x - shift), 0);
  const sums: UnitSums = {
    units: units.filter((u) => u.length > 0).length,
    nSq: units.reduce((s, u) => s + u.length ** 2, 0),
    sumN: units.reduce((s, u) => s + sumOf(u) * u.length, 0),
    sumSq: units.reduce((s, u) => s + sumOf(u) ** 2, 0),
    shift,
  };
  return { moments: momentsOf(units.flat()), sums };
}

describe("clusteredSummary", () => {
  it("is the plain summary when every unit has one observation", () => {
    const { moments, sums } = arm([[1], [0], [1], [1], [0.5]]);
    const plain = summarize(moments);
    const clustered = clusteredSummary(moments, sums);
    expect(clustered.n).toBe(5);
    expect(clustered.mean).toBe(plain.mean);
    expect(clustered.variance).toBeCloseTo(plain.variance, 14);
  });

  it("is the delta-method variance of a ratio of means", () => {
    const units = [[1, 1, 0], [0], [1, 1, 1, 1], [0, 1]];
    const { moments, sums } = arm(units);
    const mean = 7 / 10;
    const spread = units.reduce(
      (s, u) => s + (u.reduce((a, x) => a + x, 0) - mean * u.length) ** 2,
      0,
    );
    const s = clusteredSummary(moments, sums);
    expect(s.n).toBe(4);
    expect(s.variance / s.n).toBeCloseTo((4 / 3) * (spread / 100), 14);
    expect(clusteredSummary(moments, { ...sums, units: 1 }).variance).toBeNaN();
  });

  it("reports a per-user variance its sums lost as unknown: outcomes near 1e8 with sd 1", () => {
    const rng = new Random(5);
    const units = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + rng.nextInt(6) }, () => 1e8 + rng.standardNormal()),
    );
    const { moments, sums } = arm(units);
    // Two-pass: each unit's sum of deviations from the mean, then their squares.
    const spread = units.reduce(
      (s, u) => s + u.reduce((a, x) => a + (x - moments.mean), 0) ** 2,
      0,
    );
    const reference = (300 / 299) * (spread / moments.n ** 2);
    expect(reference).toBeGreaterThan(0);
    // ΣS_u² is near 1e19 · Σn_u² / n: its rounding alone dwarfs the spread.
    expect(clusteredSummary(moments, sums).variance).toBeNaN();
    // About one of the observations (what a store's centered read sums), the spread is kept.
    const about = arm(units, units[0]![0]!).sums;
    const variance = clusteredSummary(moments, about).variance / 300;
    expect(Math.abs(variance - reference) / reference).toBeLessThan(1e-6);
  });

  it("gives a per-user variance from sums only within MAX_CANCELLATION_ERROR of two-pass", () => {
    for (const [seed, mean, sd] of [
      [1, 0.7, 0.4],
      [2, 1e3, 1],
      [3, -5e4, 20],
      [4, 1e6, 10],
      [5, 3e7, 1],
    ] as const) {
      const rng = new Random(seed);
      const units = Array.from({ length: 400 }, () => {
        const own = mean + sd * rng.standardNormal();
        return Array.from({ length: 1 + rng.nextInt(8) }, () => own + sd * rng.standardNormal());
      });
      const { moments, sums } = arm(units);
      const spread = units.reduce(
        (s, u) => s + u.reduce((a, x) => a + (x - moments.mean), 0) ** 2,
        0,
      );
      const reference = (400 / 399) * (spread / moments.n ** 2) * 400;
      const { variance } = clusteredSummary(moments, sums);
      // Refused where the mean is 1e5 sd and more (the bound is a worst case over summation orders).
      expect(Number.isNaN(variance), `mean ${mean}, sd ${sd}`).toBe(Math.abs(mean) / sd >= 1e5);
      if (Number.isNaN(variance)) continue;
      expect(Math.abs(variance - reference), `mean ${mean}, sd ${sd}`).toBeLessThanOrEqual(
        MAX_CANCELLATION_ERROR * reference,
      );
    }
  });

  it("is 0 where the observations never vary, and its design effect is then 1", () => {
    const { moments, sums } = arm([[1, 1], [1], [1, 1, 1]]);
    const clustered = clusteredSummary(moments, sums);
    expect(clustered.variance).toBe(0);
    expect(designEffect(summarize(moments), clustered)).toBe(1);
  });

  it("has a design effect of Var(mean) per user over Var(mean) per observation", () => {
    const { moments, sums } = arm([[1, 1, 1], [0, 0], [1, 0], [1, 1, 1, 1], [0]]);
    const plain = summarize(moments);
    const clustered = clusteredSummary(moments, sums);
    expect(designEffect(plain, clustered)).toBeCloseTo(
      clustered.variance / clustered.n / (plain.variance / plain.n),
      14,
    );
    expect(designEffect(plain, clustered)).toBeGreaterThan(1);
  });

  it("keeps an A/A under per-user correlation near alpha, where per-observation tests are not", () => {
    // Users differ in how often the model is right for them (0.5 or 0.95: ICC ≈ 0.25) and make
    // geometric numbers of requests (mean 10); both arms serve the same model.
    const rng = new Random(17);
    const user = () => {
      const p = rng.nextFloat() < 0.5 ? 0.5 : 0.95;
      const n = 1 + Math.floor(Math.log(1 - rng.nextFloat()) / Math.log(1 - 1 / 10));
      return Array.from({ length: n }, () => (rng.nextFloat() < p ? 1 : 0));
    };
    const runs = 400;
    const alpha = 0.05;
    const rejected = { observation: 0, user: 0, observationSequential: 0, userSequential: 0 };
    for (let run = 0; run < runs; run++) {
      const usersA = Array.from({ length: 100 }, user);
      const usersB = Array.from({ length: 100 }, user);
      // The always-valid test at five looks, as users arrive; the fixed-horizon one at the end.
      const p = { observation: 1, user: 1 };
      for (let k = 20; k <= 100; k += 20) {
        const a = arm(usersA.slice(0, k));
        const b = arm(usersB.slice(0, k));
        const [pa, pb] = [summarize(a.moments), summarize(b.moments)];
        const [ca, cb] = [clusteredSummary(a.moments, a.sums), clusteredSummary(b.moments, b.sums)];
        const tau2 = defaultTau2(pa.variance, pb.variance);
        p.observation = msprtMeans(pa, pb, { alpha, tau2, previousPValue: p.observation }).pValue;
        p.user = msprtMeans(ca, cb, { alpha, tau2, previousPValue: p.user }).pValue;
        if (k < 100) continue;
        if (welchTTestFromSummary(pa, pb).pValue < alpha) rejected.observation++;
        if (welchTTestFromSummary(ca, cb).pValue < alpha) rejected.user++;
      }
      if (p.observation <= alpha) rejected.observationSequential++;
      if (p.user <= alpha) rejected.userSequential++;
    }
    // Per observation both tests reject the true null in about 40 % of runs (151 and 169 of 400).
    expect(rejected.observation / runs).toBeGreaterThan(0.3);
    expect(rejected.observationSequential / runs).toBeGreaterThan(0.3);
    // Per user: 21 of 400 for Welch (alpha within its Monte Carlo error), none always-valid.
    expect(rejected.user / runs).toBeLessThanOrEqual(0.065);
    expect(rejected.userSequential / runs).toBeLessThanOrEqual(alpha);
  });
});
