import type { Experiment } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import type { Analysis } from "./analyze.js";
import { decide } from "./decide.js";
import { DEFAULT_MIN_SAMPLE_PER_ARM } from "./decision-policy.js";
import { normalCdf } from "./distributions.js";
import { bernoulliMoments, EMPTY_MOMENTS } from "./moments.js";
import { planExperiment, reachableMde } from "./plan.js";
import { mdeMeans, sampleSizeMeans, sampleSizeProportions } from "./power.js";
import { msprt } from "./sequential.js";
import type { VariantMetrics } from "./variant-metrics.js";

describe("planExperiment", () => {
  it("sizes an accuracy test both ways and turns traffic into days for the smaller arm", () => {
    const plan = planExperiment({
      metric: "accuracy",
      baseline: 0.7,
      mde: 0.02,
      trafficPerDay: 10_000,
      challengerWeight: 20,
    });
    const fixed = sampleSizeProportions(0.7, 0.72).perArm;
    expect(plan.fixedHorizon).toEqual({ perArm: fixed, byPower: fixed, days: fixed / 2000 });
    // The always-valid test needs more than a single look.
    expect(plan.sequential.perArm).toBeGreaterThan(fixed);
    expect(plan.sequential.days).toBe(plan.sequential.perArm / 2000);
    expect(plan.target).toBeCloseTo(0.72, 15);
  });

  it("gives the smallest n at which the mSPRT, looked at there, rejects with the asked power", () => {
    // Mean outcome, sd 2 in both arms: the look's variance is 8 / n, the decision's τ² 0.01 · 4.
    const look = (n: number) => msprt({ diff: 0, variance: 8 / n }, { tau2: 0.04, alpha: 0.05 });
    // The test rejects once |observed difference| clears the boundary; the observed difference is
    // normal around the true one (0.5) with the look's standard error.
    const powerAt = (n: number) => {
      const { se, ci } = look(n);
      const boundary = ci[1];
      return normalCdf((0.5 - boundary) / se) + normalCdf((-0.5 - boundary) / se);
    };
    const sizes = [0.5, 0.8, 0.95].map((power) => {
      const plan = planExperiment({ metric: "mean", baseline: 10, mde: 0.5, sd: 2, power });
      expect(plan.fixedHorizon.byPower).toBe(sampleSizeMeans(0.5, 2, { power }).perArm);
      const n = plan.sequential.byPower;
      expect(powerAt(n)).toBeGreaterThanOrEqual(power);
      expect(powerAt(n - 1)).toBeLessThan(power);
      return n;
    });
    expect(sizes[0]).toBeLessThan(sizes[1]!);
    expect(sizes[1]).toBeLessThan(sizes[2]!);
    // At power ½: the n at which a difference of exactly the MDE is rejected.
    const reject = (n: number) =>
      msprt({ diff: 0.5, variance: 8 / n }, { tau2: 0.04, alpha: 0.05 }).rejected;
    expect([reject(sizes[0]!), reject(sizes[0]! - 1)]).toEqual([true, false]);
  });

  it("never plans fewer observations than the decision compares", () => {
    // A large effect: power alone asks for a handful per arm (1 for the fixed horizon).
    const plan = planExperiment({
      metric: "mean",
      baseline: 10,
      mde: 5,
      sd: 1,
      trafficPerDay: 100,
    });
    expect(plan.minSamplePerArm).toBe(DEFAULT_MIN_SAMPLE_PER_ARM);
    expect(plan.fixedHorizon.byPower).toBeLessThan(DEFAULT_MIN_SAMPLE_PER_ARM);
    expect(plan.sequential.byPower).toBeLessThan(DEFAULT_MIN_SAMPLE_PER_ARM);
    expect(plan.fixedHorizon).toMatchObject({ perArm: DEFAULT_MIN_SAMPLE_PER_ARM, days: 2 });
    expect(plan.sequential).toMatchObject({ perArm: DEFAULT_MIN_SAMPLE_PER_ARM, days: 2 });
  });

  it("ends for an MDE so small that the sizes pass 2^53, where doubles are no longer every integer", () => {
    for (const mde of [1e-8, 1e-10, 1e-12]) {
      const plan = planExperiment({ metric: "accuracy", baseline: 0.5, mde });
      expect(plan.sequential.perArm).toBeGreaterThan(2 ** 53);
      expect(plan.sequential.perArm).toBeGreaterThan(plan.fixedHorizon.perArm);
      expect(Number.isFinite(plan.sequential.perArm)).toBe(true);
    }
  });

  it("names the field and the rule on bad input", () => {
    expect(() => planExperiment({ metric: "accuracy", baseline: 0.99, mde: 0.02 })).toThrow(
      "mde: baseline + mde must stay below 1 for accuracy, got 0.99 + 0.02",
    );
    expect(() => planExperiment({ metric: "accuracy", baseline: 1.5, mde: 0.02 })).toThrow(
      "baseline: must lie in (0, 1), got 1.5",
    );
    expect(() => planExperiment({ metric: "mean", baseline: 1, mde: 0.1 })).toThrow(
      "sd: is required for a mean outcome",
    );
    expect(() => planExperiment({ metric: "mean", baseline: 1, mde: -1, sd: 1 })).toThrow(
      "mde: must be > 0, got -1",
    );
    expect(() =>
      planExperiment({ metric: "accuracy", baseline: 0.5, mde: 0.1, challengerWeight: 100 }),
    ).toThrow("challengerWeight: must lie in (0, 100), got 100");
    // Sizes beyond any double name the user's input, not an internal estimate.
    expect(() => planExperiment({ metric: "accuracy", baseline: 0.5, mde: 1e-17 })).toThrow(
      "mde: is below the precision of the baseline (baseline + mde is the baseline), got 1e-17",
    );
    expect(() => planExperiment({ metric: "mean", baseline: 0, mde: 1, sd: 1e160 })).toThrow(
      "sd: its square, the outcome's variance, must be a finite number, got 1e+160",
    );
    for (const mde of [1e-160, 1e-300]) {
      expect(() => planExperiment({ metric: "mean", baseline: 0, mde, sd: 1 })).toThrow(
        `mde: is too small against the outcome's spread to plan for (over 1e300 observations per arm), got ${mde}`,
      );
    }
  });
});

describe("reachableMde", () => {
  const experiment: Experiment = {
    id: "e",
    description: "",
    variants: [
      { name: "champion", weight: 50, model: "m@1" },
      { name: "challenger", weight: 50, model: "m@2" },
    ],
    primary_metric: "accuracy",
    guardrails: [],
    alpha: 0.05,
    state: "running",
    created_at: 0,
    updated_at: 0,
  };
  const arm = (variant: string, correct: number, n: number): VariantMetrics => ({
    variant,
    latency: bernoulliMoments(0, n),
    errorRate: bernoulliMoments(0, n),
    accuracy: bernoulliMoments(correct, n),
    outcome: EMPTY_MOMENTS,
    logLoss: EMPTY_MOMENTS,
  });
  const analysisOf = (metrics: VariantMetrics[]): Analysis => ({
    experiment,
    metrics,
    window: undefined,
    assignment: { configurations: [], mixed: false, current: null, notes: [] },
    previousPValue: 1,
    concludedBy: null,
    result: decide({ experiment, metrics }),
  });

  it("is what the traffic so far can detect, even before the decision compares the arms", () => {
    const early = reachableMde(analysisOf([arm("champion", 30, 50), arm("challenger", 20, 40)]));
    const sd = (p: number, n: number) => Math.sqrt((p * (1 - p) * n) / (n - 1));
    expect(early).toMatchObject({ metric: "accuracy", controlN: 50, treatmentN: 40 });
    // The decision's always-valid test at this look detects that difference 80 % of the time.
    const variance = sd(0.6, 50) ** 2 / 50 + sd(0.5, 40) ** 2 / 40;
    const tau2 = 0.01 * ((sd(0.6, 50) ** 2 + sd(0.5, 40) ** 2) / 2);
    const { ci, se } = msprt({ diff: 0, variance }, { tau2, alpha: 0.05 });
    expect(normalCdf((early.mde! - ci[1]) / se)).toBeCloseTo(0.8, 12);
    // Looking at will costs more than a test looked at once.
    expect(early.mde).toBeGreaterThan(mdeMeans(50, 40, sd(0.6, 50), sd(0.5, 40)));
    expect(reachableMde(analysisOf([arm("champion", 0, 0), arm("challenger", 1, 1)]))).toEqual({
      metric: "accuracy",
      controlN: 0,
      treatmentN: 1,
      mde: null,
    });
  });
});
