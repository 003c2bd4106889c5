/**
 * A discrete-time model of the Kubernetes HorizontalPodAutoscaler replaying a
 * traffic trace, so the configured behaviour can be judged before it meets
 * real traffic. Pure: no clock, no I/O; one tick is one second.
 *
 * What it models, after kubernetes/kubernetes pkg/controller/podautoscaler
 * (replica_calculator.go, horizontal.go):
 * - desired = ceil(current × metric / target), skipped within the tolerance;
 *   pods still starting count as zero load on scale-up, and if that pulls the
 *   ratio back within tolerance the HPA holds;
 * - stabilisation: scale-up takes the minimum, scale-down the maximum of the
 *   raw recommendations inside each direction's window;
 * - rate policies (Pods / Percent per period, selectPolicy Max / Min /
 *   Disabled) counted against the scale events of the last period;
 * - the metric is a rate over a window (PromQL `rate(...[w])`), so it lags;
 * - new pods serve only after a start-up delay; scale-down removes starting
 *   pods first, as the ReplicaSet controller does.
 */
import type { ScalingRules, ScalingSettings } from "./scaling.js";

/** A load pattern: total prediction requests per second at second `t`. */
export interface TrafficTrace {
  /** Short name for reports. */
  readonly name: string;
  /** Length of the replay in seconds. */
  readonly durationSeconds: number;
  /** Offered load (req/s, >= 0) at second `t` of the replay. */
  rateAt(t: number): number;
}

/** Controller and environment parameters; each has a Kubernetes-like default. */
export interface SimulatorOptions {
  /**
   * Ratio band around 1.0 inside which the HPA does nothing.
   * @default 0.1 (kube-controller-manager `--horizontal-pod-autoscaler-tolerance`)
   */
  readonly tolerance?: number;
  /**
   * Seconds between two HPA evaluations.
   * @default 15 (`--horizontal-pod-autoscaler-sync-period`)
   */
  readonly syncPeriodSeconds?: number;
  /**
   * Seconds from a pod's creation until it serves (scheduling, image start, model load, readiness).
   * @default 30
   */
  readonly podStartupSeconds?: number;
  /**
   * Window the request rate is averaged over before the HPA sees it (`rate(...[w])` plus scrape lag).
   * @default 30
   */
  readonly metricWindowSeconds?: number;
  /** Replicas at t = 0, all ready. @default settings.minReplicas */
  readonly initialReplicas?: number;
}

/** The state at one HPA evaluation. */
export interface SimulationSample {
  /** Seconds since the start of the replay. */
  readonly t: number;
  /** Offered load at `t` (req/s). */
  readonly load: number;
  /** Replicas the Deployment asks for after this evaluation. */
  readonly replicas: number;
  /** Pods serving at `t`. */
  readonly ready: number;
  /** Load per serving pod at `t` (req/s). */
  readonly perPodLoad: number;
}

/** What one replay produced. */
export interface SimulationReport {
  /** The trace's name. */
  readonly trace: string;
  /** One sample per HPA evaluation: replicas over time. */
  readonly samples: readonly SimulationSample[];
  /** Highest load per serving pod seen on any second (req/s). */
  readonly peakPerPodLoad: number;
  /** Fewest and most replicas asked for. */
  readonly minReplicasSeen: number;
  readonly maxReplicasSeen: number;
  /**
   * Longest stretch (s) during which per-pod load stayed above target × (1 +
   * tolerance), the band the HPA itself accepts: how long the fleet took to
   * catch up with the worst surge.
   */
  readonly timeToCapacitySeconds: number;
  /** Total seconds with per-pod load above target. */
  readonly secondsOverTarget: number;
  /** Times the scaling direction reversed (up after down or down after up): flapping. */
  readonly directionChanges: number;
  /** Pod-seconds paid for, ready or not, divided by 3600. */
  readonly podHours: number;
}

/** A replica change the HPA made at second `t` (`change` > 0, direction implied by the list). */
export interface ScaleEvent {
  /** Second of the change. */
  readonly t: number;
  /** Pods added or removed. */
  readonly change: number;
}

interface Recommendation {
  readonly t: number;
  readonly replicas: number;
}

/** Validates simulator options, naming the field and the rule. */
export function resolveSimulatorOptions(
  settings: ScalingSettings,
  options: SimulatorOptions = {},
): Required<SimulatorOptions> {
  const resolved = {
    tolerance: options.tolerance ?? 0.1,
    syncPeriodSeconds: options.syncPeriodSeconds ?? 15,
    podStartupSeconds: options.podStartupSeconds ?? 30,
    metricWindowSeconds: options.metricWindowSeconds ?? 30,
    initialReplicas: options.initialReplicas ?? settings.minReplicas,
  };
  if (!(resolved.tolerance >= 0 && resolved.tolerance < 1)) {
    throw new Error(`tolerance: ${resolved.tolerance} must be in [0, 1)`);
  }
  for (const key of ["syncPeriodSeconds", "metricWindowSeconds"] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
      throw new Error(`${key}: ${resolved[key]} must be an integer >= 1`);
    }
  }
  if (!Number.isInteger(resolved.podStartupSeconds) || resolved.podStartupSeconds < 0) {
    throw new Error(`podStartupSeconds: ${resolved.podStartupSeconds} must be an integer >= 0`);
  }
  const { initialReplicas } = resolved;
  if (
    !Number.isInteger(initialReplicas) ||
    initialReplicas < settings.minReplicas ||
    initialReplicas > settings.maxReplicas
  ) {
    throw new Error(
      `initialReplicas: ${initialReplicas} must be an integer in minReplicas-maxReplicas (${settings.minReplicas}-${settings.maxReplicas})`,
    );
  }
  return resolved;
}

/** Sum of the changes recorded within the last `periodSeconds` (strictly after the cut-off, as the HPA does). */
function changeInPeriod(events: readonly ScaleEvent[], now: number, periodSeconds: number): number {
  const cutoff = now - periodSeconds;
  let sum = 0;
  for (const e of events) if (e.t > cutoff) sum += e.change;
  return sum;
}

/** A behaviour's replica limit now, from the current count and the recent scale events. */
export type PolicyLimit = (
  current: number,
  rules: ScalingRules,
  ups: readonly ScaleEvent[],
  downs: readonly ScaleEvent[],
  now: number,
) => number;

/**
 * The limit the policies of one direction allow now: each policy proposes a bound from the
 * replica count at the start of its period, and `selectPolicy` picks the most (`Max`) or the
 * least (`Min`) permissive proposal: the highest ceiling up, the lowest floor down.
 */
function policyLimit(direction: "up" | "down"): PolicyLimit {
  return (current, rules, ups, downs, now) => {
    if (rules.selectPolicy === "Disabled") return current;
    const proposals = rules.policies.map((p) => {
      const start =
        current -
        changeInPeriod(ups, now, p.periodSeconds) +
        changeInPeriod(downs, now, p.periodSeconds);
      if (direction === "down") {
        return p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      }
      // Percent rounds up, or a small fleet could never grow (horizontal.go comment).
      return p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    });
    const highest = (rules.selectPolicy === "Max") === (direction === "up");
    return highest ? Math.max(...proposals) : Math.min(...proposals);
  };
}

/** Highest replica count the scale-up policies allow now (horizontal.go calculateScaleUpLimitWithBehaviors). */
export const scaleUpLimit: PolicyLimit = policyLimit("up");

/** Lowest replica count the scale-down policies allow now (horizontal.go calculateScaleDownLimitWithBehaviors). */
export const scaleDownLimit: PolicyLimit = policyLimit("down");

/**
 * The raw recommendation from one metric reading (replica_calculator.go):
 * `ceil(ready × ratio)` outside the tolerance band; when scaling up with pods
 * still starting, those pods count as serving nothing, and if that brings the
 * ratio back within tolerance (or reverses it) the HPA keeps `current`.
 */
export function rawRecommendation(
  current: number,
  ready: number,
  observedRate: number,
  target: number,
  tolerance: number,
): number {
  if (ready === 0) return current;
  const ratio = observedRate / ready / target;
  if (Math.abs(ratio - 1) <= tolerance) return current;
  const starting = current - ready;
  if (ratio > 1 && starting > 0) {
    const withStarting = observedRate / current / target;
    if (withStarting <= 1 + tolerance) return current;
    return Math.ceil(withStarting * current);
  }
  return Math.ceil(ratio * ready);
}

/** Replays `trace` against `settings` and reports replicas over time and how well load was absorbed. */
export function simulate(
  trace: TrafficTrace,
  settings: ScalingSettings,
  options: SimulatorOptions = {},
): SimulationReport {
  const opts = resolveSimulatorOptions(settings, options);
  const { minReplicas, maxReplicas, targetRequestsPerSecond: target, behavior } = settings;
  const longestPeriod = Math.max(
    ...[...behavior.scaleUp.policies, ...behavior.scaleDown.policies].map((p) => p.periodSeconds),
  );
  const longestWindow = Math.max(
    behavior.scaleUp.stabilizationWindowSeconds,
    behavior.scaleDown.stabilizationWindowSeconds,
  );

  // readyAt[i]: second from which pod i serves; pods are kept oldest first.
  let readyAt: number[] = Array.from({ length: opts.initialReplicas }, () => 0);
  let ups: ScaleEvent[] = [];
  let downs: ScaleEvent[] = [];
  let recommendations: Recommendation[] = [];
  const rateWindow: number[] = [];
  let rateSum = 0;

  const samples: SimulationSample[] = [];
  let peakPerPodLoad = 0;
  let minSeen = opts.initialReplicas;
  let maxSeen = opts.initialReplicas;
  let overRun = 0;
  let longestOverRun = 0;
  let secondsOverTarget = 0;
  let lastDirection = 0;
  let directionChanges = 0;
  let podSeconds = 0;

  for (let t = 0; t < trace.durationSeconds; t++) {
    const load = trace.rateAt(t);
    rateWindow.push(load);
    rateSum += load;
    if (rateWindow.length > opts.metricWindowSeconds) rateSum -= rateWindow.shift()!;

    let ready = readyAt.filter((at) => at <= t).length;

    if (t > 0 && t % opts.syncPeriodSeconds === 0) {
      const current = readyAt.length;
      const raw = rawRecommendation(
        current,
        ready,
        rateSum / rateWindow.length,
        target,
        opts.tolerance,
      );
      recommendations.push({ t, replicas: raw });
      recommendations = recommendations.filter((r) => r.t > t - longestWindow - 1);

      // Stabilise: the lowest recent recommendation bounds a scale-up, the highest a scale-down.
      let upBound = raw;
      let downBound = raw;
      for (const r of recommendations) {
        if (r.t > t - behavior.scaleUp.stabilizationWindowSeconds)
          upBound = Math.min(upBound, r.replicas);
        if (r.t > t - behavior.scaleDown.stabilizationWindowSeconds)
          downBound = Math.max(downBound, r.replicas);
      }
      const stabilised = Math.min(Math.max(current, upBound), downBound);

      let lo = minReplicas;
      let hi = maxReplicas;
      if (stabilised > current) {
        hi = Math.min(
          hi,
          Math.max(current, scaleUpLimit(current, behavior.scaleUp, ups, downs, t)),
        );
      } else if (stabilised < current) {
        lo = Math.max(
          lo,
          Math.min(current, scaleDownLimit(current, behavior.scaleDown, ups, downs, t)),
        );
      }
      const next = Math.min(Math.max(stabilised, lo), hi);

      if (next !== current) {
        const direction = Math.sign(next - current);
        if (lastDirection !== 0 && direction !== lastDirection) directionChanges++;
        lastDirection = direction;
        if (next > current) {
          ups.push({ t, change: next - current });
          for (let i = current; i < next; i++) readyAt.push(t + opts.podStartupSeconds);
        } else {
          downs.push({ t, change: current - next });
          // Not-yet-ready pods go first, then the newest.
          readyAt = [...readyAt].sort((a, b) => a - b).slice(0, next);
        }
        ups = ups.filter((e) => e.t > t - longestPeriod);
        downs = downs.filter((e) => e.t > t - longestPeriod);
        minSeen = Math.min(minSeen, next);
        maxSeen = Math.max(maxSeen, next);
        ready = readyAt.filter((at) => at <= t).length;
      }
      samples.push({
        t,
        load,
        replicas: readyAt.length,
        ready,
        perPodLoad: ready === 0 ? Number.POSITIVE_INFINITY : load / ready,
      });
    }

    podSeconds += readyAt.length;
    const perPod = ready === 0 ? Number.POSITIVE_INFINITY : load / ready;
    peakPerPodLoad = Math.max(peakPerPodLoad, perPod);
    if (perPod > target) secondsOverTarget++;
    if (perPod > target * (1 + opts.tolerance)) {
      overRun++;
      longestOverRun = Math.max(longestOverRun, overRun);
    } else {
      overRun = 0;
    }
  }

  return {
    trace: trace.name,
    samples,
    peakPerPodLoad,
    minReplicasSeen: minSeen,
    maxReplicasSeen: maxSeen,
    timeToCapacitySeconds: longestOverRun,
    secondsOverTarget,
    directionChanges,
    podHours: podSeconds / 3600,
  };
}
