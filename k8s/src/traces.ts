/**
 * Traffic traces the HPA simulator replays. Each is a deterministic function
 * of time (the diurnal trace's jitter comes from the workspace's one seeded
 * generator, `@mlops/garch/random`), so a replay is reproducible and a test
 * can rely on its numbers.
 */
import { Random } from "@mlops/garch/random";
import type { TrafficTrace } from "./hpa-simulator.js";

/** A step to `factor` × `baseRps` at `atSeconds`, held for `holdSeconds`, then back. */
export function spikeTrace(
  baseRps: number,
  factor: number,
  atSeconds: number,
  holdSeconds: number,
  tailSeconds: number,
): TrafficTrace {
  const end = atSeconds + holdSeconds;
  return {
    name: `${factor}x spike`,
    durationSeconds: end + tailSeconds,
    rateAt: (t) => (t >= atSeconds && t < end ? baseRps * factor : baseRps),
  };
}

/** A linear climb from `fromRps` to `toRps` over `rampSeconds`, then a plateau of `holdSeconds`. */
export function rampTrace(
  fromRps: number,
  toRps: number,
  rampSeconds: number,
  holdSeconds: number,
): TrafficTrace {
  return {
    name: "slow ramp",
    durationSeconds: rampSeconds + holdSeconds,
    rateAt: (t) => fromRps + (toRps - fromRps) * Math.min(1, t / rampSeconds),
  };
}

/**
 * One day: a cosine between `troughRps` (04:00) and `peakRps` (16:00), with
 * ±`jitter` relative noise redrawn every minute from `seed`, the kind of
 * wobble that makes a twitchy autoscaler flap. `seed` is a non-negative safe integer.
 */
export function diurnalTrace(
  troughRps: number,
  peakRps: number,
  jitter: number,
  seed: number,
): TrafficTrace {
  const day = 86_400;
  const random = new Random(seed);
  const perMinute = Array.from(
    { length: day / 60 },
    () => 1 + jitter * (2 * random.nextFloat() - 1),
  );
  const mid = (peakRps + troughRps) / 2;
  const amplitude = (peakRps - troughRps) / 2;
  const peakAt = 16 * 3600;
  return {
    name: "diurnal day",
    durationSeconds: day,
    rateAt: (t) =>
      (mid + amplitude * Math.cos((2 * Math.PI * (t - peakAt)) / day)) *
      perMinute[Math.floor(t / 60) % perMinute.length],
  };
}

/** The three traces the bench and the tests replay, sized for the default 10 req/s per pod. */
export function standardTraces(): TrafficTrace[] {
  return [
    // 15 req/s idles on the two minimum pods; ×10 needs 15 pods.
    spikeTrace(15, 10, 120, 900, 1200),
    rampTrace(15, 180, 3600, 900),
    diurnalTrace(10, 160, 0.1, 7),
  ];
}
