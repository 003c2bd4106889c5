import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  rawRecommendation,
  resolveSimulatorOptions,
  type ScaleEvent,
  scaleDownLimit,
  scaleUpLimit,
  simulate,
  type TrafficTrace,
} from "./hpa-simulator.js";
import { DEFAULT_SCALING, type ScalingRules, withScalingDefaults } from "./scaling.js";
import { diurnalTrace, rampTrace, spikeTrace, standardTraces } from "./traces.js";

const none: ScaleEvent[] = [];
const { scaleUp, scaleDown } = DEFAULT_SCALING.behavior;

describe("rawRecommendation (replica_calculator.go)", () => {
  it("is ceil(current × metric / target) outside the tolerance", () => {
    // 4 pods at 25 req/s each against 10: ceil(4 × 2.5) = 10.
    expect(rawRecommendation(4, 4, 100, 10, 0.1)).toBe(10);
    // 10 pods at 3 req/s: ceil(10 × 0.3) = 3.
    expect(rawRecommendation(10, 10, 30, 10, 0.1)).toBe(3);
  });

  it("holds inside the 0.1 tolerance band, in both directions", () => {
    expect(rawRecommendation(10, 10, 109, 10, 0.1)).toBe(10);
    expect(rawRecommendation(10, 10, 91, 10, 0.1)).toBe(10);
    expect(rawRecommendation(10, 10, 112, 10, 0.1)).toBe(12);
  });

  it("counts starting pods as serving nothing on scale-up", () => {
    // 4 ready of 8 asked: 60 req/s is 15/pod on the ready ones, but 7.5 over
    // all 8 — the reversed ratio means "wait for the new pods".
    expect(rawRecommendation(8, 4, 60, 10, 0.1)).toBe(8);
    // 200 req/s over all 8 is still 25/pod: scale to ceil(200 / 10) = 20.
    expect(rawRecommendation(8, 4, 200, 10, 0.1)).toBe(20);
  });
});

describe("behaviour rate limits (horizontal.go)", () => {
  it("scale-up with selectPolicy Max takes the larger of 100 % and 4 pods", () => {
    expect(scaleUpLimit(2, scaleUp, none, none, 0)).toBe(6);
    expect(scaleUpLimit(6, scaleUp, none, none, 0)).toBe(12);
  });

  it("rounds percent up on scale-up (72 × 110 % → 80)", () => {
    const rules: ScalingRules = {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
    };
    expect(scaleUpLimit(72, rules, none, none, 0)).toBe(80);
  });

  it("counts changes made within the period against the limit", () => {
    // 2 → 6 at t=100: at t=120 the 30 s period still starts from 2 pods.
    const ups = [{ t: 100, change: 4 }];
    expect(scaleUpLimit(6, scaleUp, ups, none, 120)).toBe(6);
    // At t=130 the event is exactly one period old and no longer counts.
    expect(scaleUpLimit(6, scaleUp, ups, none, 130)).toBe(12);
  });

  it("scale-down with selectPolicy Min removes the smaller of 50 % and 2 pods", () => {
    expect(scaleDownLimit(20, scaleDown, none, none, 0)).toBe(18);
    // 3 pods: 50 % allows 1 (trunc 1.5), 2 pods allows 1: the higher floor wins.
    expect(scaleDownLimit(3, scaleDown, none, none, 0)).toBe(1);
    expect(scaleDownLimit(18, scaleDown, none, [{ t: 10, change: 2 }], 40)).toBe(18);
  });

  it("Disabled freezes the direction", () => {
    const frozen: ScalingRules = { ...scaleDown, selectPolicy: "Disabled" };
    expect(scaleDownLimit(20, frozen, none, none, 0)).toBe(20);
    expect(scaleUpLimit(5, { ...scaleUp, selectPolicy: "Disabled" }, none, none, 0)).toBe(5);
  });
});

describe("simulate: the default behaviour", () => {
  const spike = spikeTrace(15, 10, 120, 900, 1200);
  const report = simulate(spike, DEFAULT_SCALING);

  it("brings per-pod load back under target within 2 minutes of a 10× spike, and keeps it there", () => {
    const during = report.samples.filter((s) => s.t >= 120 && s.t < 1020);
    const firstUnder = during.find((s) => s.perPodLoad <= DEFAULT_SCALING.targetRequestsPerSecond);
    expect(firstUnder).toBeDefined();
    expect(firstUnder!.t - 120).toBeLessThanOrEqual(120);
    const after = during.filter((s) => s.t >= firstUnder!.t);
    expect(after.every((s) => s.perPodLoad <= DEFAULT_SCALING.targetRequestsPerSecond)).toBe(true);
    expect(report.maxReplicasSeen).toBe(15);
  });

  it("does not flap: one reversal (up, then down after the spike)", () => {
    expect(report.directionChanges).toBe(1);
  });

  it("waits out the 5-minute window before scaling down, then steps down by at most 2 pods a minute", () => {
    const downs = report.samples.filter(
      (s, i) => i > 0 && s.replicas < report.samples[i - 1].replicas,
    );
    expect(downs[0].t).toBeGreaterThanOrEqual(1020 + 300);
    for (const d of downs) {
      const minuteAgo = report.samples.find((s) => s.t === d.t - 60);
      expect(minuteAgo!.replicas - d.replicas).toBeLessThanOrEqual(2);
    }
    expect(report.samples.at(-1)!.replicas).toBe(2);
  });

  it("keeps replicas within min and max on every standard trace", () => {
    for (const trace of standardTraces()) {
      const r = simulate(trace, DEFAULT_SCALING);
      expect(r.minReplicasSeen).toBeGreaterThanOrEqual(2);
      expect(r.maxReplicasSeen).toBeLessThanOrEqual(20);
      expect(r.samples.every((s) => s.ready <= s.replicas)).toBe(true);
    }
  });
});

describe("simulate: behaviours compared", () => {
  it("a twitchy behaviour (no scale-down window, 100 % per 15 s) flaps on a jittery day where the default does not as much", () => {
    const day = diurnalTrace(10, 160, 0.1, 7);
    const twitchy = withScalingDefaults({
      behavior: {
        ...DEFAULT_SCALING.behavior,
        scaleDown: {
          stabilizationWindowSeconds: 0,
          selectPolicy: "Max",
          policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
        },
      },
    });
    const calm = simulate(day, DEFAULT_SCALING);
    const jumpy = simulate(day, twitchy);
    expect(jumpy.directionChanges).toBeGreaterThan(calm.directionChanges * 5);
  });

  it("a slower pod start-up lengthens the time to capacity", () => {
    const spike = spikeTrace(15, 10, 120, 900, 600);
    const fast = simulate(spike, DEFAULT_SCALING, { podStartupSeconds: 10 });
    const slow = simulate(spike, DEFAULT_SCALING, { podStartupSeconds: 120 });
    expect(slow.timeToCapacitySeconds).toBeGreaterThan(fast.timeToCapacitySeconds);
    expect(slow.peakPerPodLoad).toBeGreaterThanOrEqual(fast.peakPerPodLoad);
  });

  it("a ramp is followed without any reversal", () => {
    expect(simulate(rampTrace(15, 180, 3600, 900), DEFAULT_SCALING).directionChanges).toBe(0);
  });

  it("never leaves [min, max] nor exceeds the scale-up policy, for any constant-then-step load", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 400, noNaN: true }),
        fc.double({ min: 0, max: 400, noNaN: true }),
        (before, after) => {
          const trace: TrafficTrace = {
            name: "step",
            durationSeconds: 900,
            rateAt: (t) => (t < 300 ? before : after),
          };
          const r = simulate(trace, DEFAULT_SCALING);
          let previous = 2;
          for (const s of r.samples) {
            expect(s.replicas).toBeGreaterThanOrEqual(2);
            expect(s.replicas).toBeLessThanOrEqual(20);
            expect(s.replicas).toBeLessThanOrEqual(Math.max(previous * 2, previous + 4));
            previous = s.replicas;
          }
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });
});

describe("resolveSimulatorOptions", () => {
  it("rejects bad options naming the field and the rule", () => {
    expect(() => resolveSimulatorOptions(DEFAULT_SCALING, { tolerance: 1.5 })).toThrow(
      "tolerance: 1.5 must be in [0, 1)",
    );
    expect(() => resolveSimulatorOptions(DEFAULT_SCALING, { syncPeriodSeconds: 0 })).toThrow(
      "syncPeriodSeconds: 0 must be an integer >= 1",
    );
    expect(() => resolveSimulatorOptions(DEFAULT_SCALING, { podStartupSeconds: -1 })).toThrow(
      "podStartupSeconds: -1 must be an integer >= 0",
    );
    expect(() => resolveSimulatorOptions(DEFAULT_SCALING, { initialReplicas: 30 })).toThrow(
      "initialReplicas: 30 must be an integer in minReplicas-maxReplicas (2-20)",
    );
  });
});
