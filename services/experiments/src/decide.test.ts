import { DecisionSchema, emptyAggregate } from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import { describe, expect, it } from "vitest";
import { type DecisionInput, decide } from "./decide.js";
import { previousLooksOf, toDecisionRecord } from "./decision-record.js";
import { summarize } from "./moments.js";
import { welchTTestFromSummary } from "./two-sample.js";
import {
  metricMoments,
  type VariantMetrics,
  VariantMetricsAccumulator,
  variantMetricsFromAggregate,
} from "./variant-metrics.js";

type ExperimentDef = DecisionInput["experiment"];

const experiment = (over: Partial<ExperimentDef> = {}): ExperimentDef => ({
  id: "exp-1",
  variants: [
    { name: "champion", weight: 50, model: "iris@3" },
    { name: "challenger", weight: 50, model: "iris@4" },
  ],
  primary_metric: "accuracy",
  guardrails: [{ metric: "error_rate", max_relative_increase: 0.5 }],
  alpha: 0.05,
  ...over,
});

interface ArmSpec {
  readonly count: number;
  readonly errors?: number;
  readonly correct: number;
  readonly outcomes?: number;
  readonly latencyMean?: number;
  readonly latencySd?: number;
}

/** A store aggregate for an arm with the given counts (latencies with the given mean and sd). */
function arm(variant: string, s: ArmSpec): VariantMetrics {
  const mean = s.latencyMean ?? 20;
  const sd = s.latencySd ?? 5;
  return variantMetricsFromAggregate({
    ...emptyAggregate(variant),
    count: s.count,
    error_count: s.errors ?? 0,
    latency_sum: s.count * mean,
    latency_sum_sq: (s.count - 1) * sd * sd + s.count * mean * mean,
    outcome_count: s.outcomes ?? s.count,
    correct_count: s.correct,
  });
}

/** `decide` between a champion and a challenger arm of the default experiment. */
const decideArms = (champion: ArmSpec, challenger: ArmSpec) =>
  decide({
    experiment: experiment(),
    metrics: [arm("champion", champion), arm("challenger", challenger)],
  });

describe("decide", () => {
  it("calls a split with fewer than two weighted arms invalid, not a comparison", () => {
    const closed = experiment({
      variants: [
        { name: "champion", weight: 100, model: "iris@3" },
        { name: "challenger", weight: 0, model: "iris@4" },
      ],
    });
    const r = decide({
      experiment: closed,
      metrics: [
        arm("champion", { count: 500, correct: 400 }),
        arm("challenger", { count: 0, correct: 0, latencySd: 0 }),
      ],
    });
    expect(r.decision).toBe("invalid");
    expect(r.reasons).toEqual(["no comparison: only champion has a positive weight"]);
  });

  it("promotes a clearly better challenger with guardrails inside their limits", () => {
    const r = decideArms(
      { count: 5000, errors: 50, correct: 4000 },
      { count: 5000, errors: 52, correct: 4250 },
    );
    expect(r.decision).toBe("promote");
    expect(r.primary!.sequential.pValue).toBeLessThan(0.05);
    expect(r.primary!.sequential.ci[0]).toBeGreaterThan(0);
    expect(r.guardrails.map((g) => g.status)).toEqual(["ok"]);
    expect(r.reasons[0]).toMatch(/^challenger is significantly better: accuracy: challenger 0\.85/);
    expect(r.srm!.mismatch).toBe(false);
  });

  it("rolls back a clearly worse challenger, and a lower-is-better metric flips the direction", () => {
    const metrics = [
      arm("champion", { count: 5000, correct: 4250 }),
      arm("challenger", { count: 5000, correct: 4000 }),
    ];
    expect(decide({ experiment: experiment(), metrics }).decision).toBe("rollback");
    const logLoss = (variant: string, mean: number): VariantMetrics => ({
      ...arm(variant, { count: 3000, correct: 0 }),
      logLoss: { n: 3000, mean, m2: 2999 * 0.25 },
    });
    const lower = decide({
      experiment: experiment({ primary_metric: "log_loss", guardrails: [] }),
      metrics: [logLoss("champion", 0.5), logLoss("challenger", 0.4)],
    });
    expect(lower.decision).toBe("promote");
    expect(lower.primary!.better).toBe("lower");
  });

  it("rolls back on a guardrail breach even when the primary metric improved", () => {
    const r = decideArms(
      { count: 5000, errors: 50, correct: 4000 },
      { count: 5000, errors: 200, correct: 4250 },
    );
    expect(r.decision).toBe("rollback");
    expect(r.guardrails[0]!.status).toBe("breach");
    expect(r.guardrails[0]!.ci![0]).toBeGreaterThan(r.guardrails[0]!.limit);
    expect(r.reasons[0]).toMatch(
      /^guardrail breached: error_rate: challenger 0\.04 vs champion 0\.01/,
    );
  });

  it("continues while a better challenger's guardrail is above its limit but not conclusively", () => {
    const r = decide({
      experiment: experiment({
        guardrails: [{ metric: "latency_mean_ms", max_relative_increase: 0.05 }],
      }),
      metrics: [
        arm("champion", { count: 5000, correct: 4000, latencyMean: 20, latencySd: 40 }),
        arm("challenger", { count: 5000, correct: 4250, latencyMean: 21.5, latencySd: 40 }),
      ],
    });
    expect(r.guardrails[0]!.status).toBe("inconclusive");
    expect(r.decision).toBe("continue");
  });

  it("does not judge guardrails on a handful of requests", () => {
    const r = decideArms(
      { count: 5, errors: 0, correct: 4 },
      { count: 5, errors: 5, correct: 0, outcomes: 0 },
    );
    expect(r.decision).toBe("continue");
    expect(r.guardrails).toEqual([]);
    expect(r.reasons).toContain(
      "error_rate: fewer than 100 observations in an arm, not yet checked",
    );
  });

  it("continues without enough data or without significance", () => {
    const few = decideArms({ count: 50, correct: 40 }, { count: 50, correct: 45 });
    expect(few.decision).toBe("continue");
    expect(few.reasons[0]).toMatch(/^not enough data: accuracy has 50 observations/);
    const close = decideArms({ count: 2000, correct: 1600 }, { count: 2000, correct: 1610 });
    expect(close.decision).toBe("continue");
    expect(close.reasons[0]).toMatch(/^not significant yet/);
    expect(close.primary!.mde).toBeGreaterThan(0);
  });

  it("checks the split on users when they are the unit, and names a variant without a count", () => {
    const metrics = [
      arm("champion", { count: 5000, correct: 4000 }),
      arm("challenger", { count: 4500, correct: 3700 }),
    ];
    // Predictions 5000 vs 4500 are a mismatch; 400 vs 410 users, each with their own requests, are not.
    const byUser = decide({
      experiment: experiment(),
      metrics,
      units: { champion: 400, challenger: 410 },
    });
    expect(byUser.decision).not.toBe("invalid");
    expect(byUser.srm).toMatchObject({ unit: "user", counts: [400, 410], mismatch: false });
    const skewed = decide({
      experiment: experiment(),
      metrics,
      units: { champion: 400, challenger: 600 },
    });
    expect(skewed.decision).toBe("invalid");
    expect(skewed.reasons[0]).toMatch(/^sample ratio mismatch: champion 400 users \(weight 50\)/);
    expect(() => decide({ experiment: experiment(), metrics, units: { champion: 400 } })).toThrow(
      "units.challenger: must be given for every variant of the experiment",
    );
  });

  it("tests the primary metric with users as the sample when given their sums", () => {
    // Groups of [users, observations each, correct each]: 500 users an arm, 10 requests each.
    const sumsOf = (groups: readonly [number, number, number][]) => ({
      units: groups.reduce((s, [u]) => s + u, 0),
      nSq: groups.reduce((s, [u, n]) => s + u * n * n, 0),
      sumN: groups.reduce((s, [u, n, c]) => s + u * c * n, 0),
      sumSq: groups.reduce((s, [u, , c]) => s + u * c * c, 0),
      shift: 0,
    });
    const input = {
      experiment: experiment(),
      metrics: [
        arm("champion", { count: 5000, correct: 4000 }),
        arm("challenger", { count: 5000, correct: 4250 }),
      ],
      units: { champion: 500, challenger: 500 },
    };
    const primaryUnits = {
      champion: sumsOf([
        [250, 10, 9],
        [250, 10, 7],
      ]),
      challenger: sumsOf([
        [250, 10, 9],
        [250, 10, 8],
      ]),
    };
    const clustered = decide({ ...input, primaryUnits }).primary!;
    const independent = decide(input).primary!;
    expect(clustered.independent).toBe("user");
    expect(independent.independent).toBe("observation");
    // Welch–Satterthwaite counts users (about 2 × 499), not observations (about 2 × 4999).
    expect(clustered.welch.df).toBeLessThan(1000);
    expect(independent.welch.df).toBeGreaterThan(9000);
    expect(clustered.sequential.tau2).toBe(independent.sequential.tau2);
    expect(() => decide({ ...input, primaryUnits: { champion: primaryUnits.champion } })).toThrow(
      "primaryUnits.challenger: must be given for every variant of the experiment",
    );
  });

  it("runs no test on a variance the store's sums lost, and says why", () => {
    // Outcomes near 1e8 with sd 1, summed as a store sums them: Σx² cannot carry the spread.
    const rng = new Random(11);
    const outcomeArm = (variant: string, shift: number): VariantMetrics => {
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < 2000; i++) {
        const x = 1e8 + shift + rng.standardNormal();
        sum += x;
        sumSq += x * x;
      }
      return variantMetricsFromAggregate({
        ...emptyAggregate(variant),
        count: 2000,
        latency_sum: 2000 * 20,
        latency_sum_sq: 1999 * 25 + 2000 * 400,
        outcome_count: 2000,
        correct_count: 1000,
        outcome_value_count: 2000,
        outcome_sum: sum,
        outcome_sum_sq: sumSq,
      });
    };
    const lost = decide({
      experiment: experiment({ primary_metric: "outcome_mean", guardrails: [] }),
      metrics: [outcomeArm("champion", 0), outcomeArm("challenger", 0.5)],
    });
    expect(lost.decision).toBe("invalid");
    expect(lost.primary).toBeNull();
    expect(lost.reasons[0]).toBe(
      "missing data: outcome_mean has no variance in champion and challenger: its spread is lost to rounding in the store's sums of squares (they cancel where the mean is too large against the spread for double precision); no test is run on it",
    );

    // A latency guardrail near the contract's bound with a spread of 1e-4 ms: not checked, so
    // a significantly better challenger is not promoted past it.
    const still = { latencyMean: 3e6, latencySd: 1e-4 };
    const guarded = decide({
      experiment: experiment({
        guardrails: [{ metric: "latency_mean_ms", max_relative_increase: 0.1 }],
      }),
      metrics: [
        arm("champion", { count: 5000, correct: 4000, ...still }),
        arm("challenger", { count: 5000, correct: 4300, ...still }),
      ],
    });
    expect(guarded.decision).toBe("continue");
    expect(guarded.guardrails).toEqual([]);
    expect(guarded.reasons).toContain(
      "latency_mean_ms: no variance in champion and challenger, not checked: its spread is lost to rounding in the store's sums of squares (they cancel where the mean is too large against the spread for double precision)",
    );
  });

  it("is invalid on sample ratio mismatch and on missing data", () => {
    const srm = decideArms({ count: 5000, correct: 4000 }, { count: 4500, correct: 3700 });
    expect(srm.decision).toBe("invalid");
    expect(srm.srm!.pValue).toBeLessThan(0.001);
    expect(srm.reasons[0]).toMatch(/^sample ratio mismatch: champion 5000 \(weight 50\)/);
    const missing = decide({
      experiment: experiment(),
      metrics: [arm("champion", { count: 10, correct: 5 })],
    });
    expect(missing.decision).toBe("invalid");
    expect(missing.reasons[0]).toBe("missing data: no statistics for variant challenger");
  });

  it("waits on an experiment that has served nothing yet, as one just deployed", () => {
    const fresh = decideArms({ count: 0, correct: 0 }, { count: 0, correct: 0 });
    expect(fresh.decision).toBe("continue");
    expect(fresh.reasons).toEqual(["not enough data: no predictions recorded yet for any variant"]);
    expect(fresh.srm).toBeNull();
    // One arm served and the other not is a split to check, not an empty experiment.
    const lopsided = decideArms({ count: 400, correct: 300 }, { count: 0, correct: 0 });
    expect(lopsided.decision).toBe("invalid");
    expect(lopsided.reasons[0]).toMatch(/^sample ratio mismatch/);
  });

  it("rejects a policy naming arms the experiment does not have", () => {
    const input = { experiment: experiment(), metrics: [] };
    expect(() => decide(input, { treatment: "canary" })).toThrow(
      "policy.treatment: must name a variant of experiment exp-1 (champion, challenger), got canary",
    );
    expect(() => decide(input, { control: "champion", treatment: "champion" })).toThrow(
      "policy.treatment: must differ from policy.control",
    );
  });

  it("writes a decision record the contracts accept and reads the running p-value back", () => {
    const r = decide({
      experiment: experiment(),
      metrics: [
        arm("champion", { count: 2000, correct: 1600 }),
        arm("challenger", { count: 2000, correct: 1610 }),
      ],
      previousPValue: 0.3,
    });
    const record = toDecisionRecord(r, {
      id: "d-1",
      experiment: experiment(),
      decidedAt: 1_700_000_000_000,
    });
    expect(DecisionSchema.parse(record)).toEqual(record);
    // The arms judged, as the experiment defines them, without their weights.
    expect(record.experiment_id).toBe("exp-1");
    expect(record.variants).toEqual([
      { name: "champion", model: "iris@3" },
      { name: "challenger", model: "iris@4" },
    ]);
    expect(previousLooksOf([record])).toEqual({
      pValue: Math.min(0.3, r.primary!.sequential.pValue),
      settledSign: null,
    });
    const later = toDecisionRecord(
      decide({ experiment: experiment(), metrics: [arm("champion", { count: 9, correct: 5 })] }),
      { id: "d-2", experiment: experiment(), decidedAt: 1_700_000_100_000 },
    );
    expect(previousLooksOf([record, later])).toEqual(previousLooksOf([record]));
    expect(previousLooksOf([])).toEqual({ pValue: 1, settledSign: null });
  });

  it("keeps the direction settled at the look that reached alpha when the estimate drifts back", () => {
    // Look 1: the challenger is clearly better, but its error-rate guardrail is not yet decided.
    const guarded = experiment({
      guardrails: [{ metric: "error_rate", max_relative_increase: 0.1 }],
    });
    const first = decide({
      experiment: guarded,
      metrics: [
        arm("champion", { count: 2000, correct: 1400, errors: 20 }),
        arm("challenger", { count: 2000, correct: 1700, errors: 26 }),
      ],
    });
    expect(first.decision).toBe("continue");
    expect(first.primary!.settledSign).toBe(1);
    const look1 = toDecisionRecord(first, { id: "l-1", experiment: guarded, decidedAt: 1 });
    const previous = previousLooksOf([look1]);
    expect(previous).toEqual({ pValue: first.primary!.sequential.pValue, settledSign: 1 });
    // Look 2: by chance the challenger's estimate now sits just below the champion's. The
    // running p-value stays below alpha; the direction it was reached in stands: no rollback.
    const second = decide({
      experiment: experiment(),
      metrics: [
        arm("champion", { count: 4000, correct: 3000 }),
        arm("challenger", { count: 4000, correct: 2990 }),
      ],
      previousPValue: previous.pValue,
      previousSettledSign: previous.settledSign,
    });
    expect(second.primary!.sequential.diff).toBeLessThan(0);
    expect(second.primary!.sequential.rejected).toBe(true);
    expect(second.primary!.settledSign).toBe(1);
    expect(second.decision).toBe("promote");
    expect(second.reasons.join("; ")).toMatch(
      /the direction was settled at an earlier look, where the always-valid p-value reached alpha; this look's difference \(-0\.0025\) has crossed 0 since/,
    );
    // Without the carried direction (records made before it was kept), this look's sign decides.
    expect(
      decide({
        experiment: experiment(),
        metrics: [
          arm("champion", { count: 4000, correct: 3000 }),
          arm("challenger", { count: 4000, correct: 2990 }),
        ],
        previousPValue: previous.pValue,
      }).decision,
    ).toBe("rollback");
    // Nor does a difference of exactly 0 with no carried direction favour either arm.
    const even = decide({
      experiment: experiment(),
      metrics: [
        arm("champion", { count: 4000, correct: 3000 }),
        arm("challenger", { count: 4000, correct: 3000 }),
      ],
      previousPValue: previous.pValue,
    });
    expect([even.decision, even.primary!.settledSign]).toEqual(["continue", null]);
    expect(even.reasons[0]).toMatch(
      /^not decided: the always-valid p-value reached alpha at an earlier look whose direction was not recorded/,
    );
  });
});

interface SimulationOutcome {
  readonly promoted: number;
  /** Experiments a fixed-horizon Welch test, re-run at every look, would have promoted. */
  readonly naivePromoted: number;
}

/** One observation of the primary metric in an arm (0/1 for accuracy, a number otherwise). */
type Draw = (arm: "champion" | "challenger") => number;

/**
 * `experiments` A/B tests, each looked at every 250 observations per arm up to 5000 (20 looks),
 * stopping at the first promote or rollback. Records stream through the same accumulators a
 * replica would use.
 */
function simulate(
  experiments: number,
  metric: "accuracy" | "outcome_mean",
  draw: Draw,
): SimulationOutcome {
  const every = 250;
  const horizon = 5000;
  let promoted = 0;
  let naivePromoted = 0;
  const def = experiment({ guardrails: [], primary_metric: metric });
  for (let e = 0; e < experiments; e++) {
    const accs = [
      new VariantMetricsAccumulator("champion"),
      new VariantMetricsAccumulator("challenger"),
    ];
    let previousPValue = 1;
    let stopped = false;
    let naiveStopped = false;
    for (let n = every; n <= horizon && !(stopped && naiveStopped); n += every) {
      for (let i = 0; i < every; i++) {
        for (const acc of accs) {
          const x = draw(acc.variant as "champion" | "challenger");
          acc.addPrediction(10, false);
          acc.addOutcome(
            metric === "accuracy"
              ? { correct: x as 0 | 1, value: null, logLoss: null }
              : { correct: 0, value: x, logLoss: null },
          );
        }
      }
      const metrics = accs.map((a) => a.metrics());
      if (!stopped) {
        const r = decide({ experiment: def, metrics, previousPValue });
        previousPValue = r.primary?.sequential.pValue ?? previousPValue;
        if (r.decision === "promote") promoted++;
        stopped = r.decision === "promote" || r.decision === "rollback";
      }
      if (!naiveStopped) {
        const [a, b] = metrics.map((m) => summarize(metricMoments(m, metric)!));
        const w = welchTTestFromSummary(a!, b!);
        if (w.pValue < def.alpha) {
          naiveStopped = true;
          if (w.diff > 0) naivePromoted++;
        }
      }
    }
  }
  return { promoted, naivePromoted };
}

/** Accuracy: right with probability `p`, `p + effect` for the challenger. */
function bernoulliDraw(seed: number, p: number, effect: number): Draw {
  const rng = new Random(seed);
  return (arm) => (rng.nextFloat() < p + (arm === "challenger" ? effect : 0) ? 1 : 0);
}

/** A skewed numeric outcome (exponential, mean 10), shifted by `effect` for the challenger. */
function exponentialDraw(seed: number, effect: number): Draw {
  const rng = new Random(seed);
  return (arm) => -10 * Math.log(1 - rng.nextFloat()) + (arm === "challenger" ? effect : 0);
}

describe("decide under repeated looks (seeded simulation)", () => {
  const experiments = 400;
  const alpha = 0.05;
  // Three binomial standard errors of a rate of alpha over this many experiments.
  const tolerance = 3 * Math.sqrt((alpha * (1 - alpha)) / experiments);

  it.each([
    ["accuracy", bernoulliDraw(7, 0.8, 0)],
    ["outcome_mean", exponentialDraw(8, 0)],
  ] as const)("keeps false promotions on %s at or below alpha across 20 looks", (metric, draw) => {
    const { promoted, naivePromoted } = simulate(experiments, metric, draw);
    expect(promoted / experiments).toBeLessThanOrEqual(alpha + tolerance);
    // The same looks with a fixed-horizon test do inflate it: the simulation can tell the two apart.
    expect(naivePromoted / experiments).toBeGreaterThan(alpha + tolerance);
  });

  it.each([
    ["accuracy", "4 points of accuracy", bernoulliDraw(11, 0.8, 0.04)],
    ["outcome_mean", "a tenth of a standard deviation", exponentialDraw(12, 1)],
  ] as const)("promotes a real effect on %s (%s) with high probability", (metric, _, draw) => {
    const { promoted } = simulate(200, metric, draw);
    expect(promoted / 200).toBeGreaterThanOrEqual(0.9);
  });
});
