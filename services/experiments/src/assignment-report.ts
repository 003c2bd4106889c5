/**
 * What the A/B analysis says about how its data was assigned. Each prediction records the
 * mechanism that put it on its arm and the challenger weight configured then (`@mlops/contracts`
 * assignment.ts); the store counts them per configuration. From those counts this module finds
 * the current period (the newest configuration, since the last prediction of any other), checks
 * each configuration's split against its own weight, and states what an observation is.
 *
 * Configurations are never pooled into one verdict: when the weight changed, the arms' shares
 * changed over time, so a pooled difference mixes the effect with whatever drifted meanwhile
 * (Simpson's paradox); when the mechanism changed, the unit of randomisation changed with it
 * (user vs request), and one test cannot assume both. The verdict reads the current period only;
 * the others are reported beside it.
 */
import {
  ASSIGNMENT_UNIT,
  type AssignmentConfig,
  type AssignmentGroup,
  type AssignmentReport,
  type AssignmentSummary,
  assignmentKey,
  CHALLENGER,
  CHAMPION,
} from "@mlops/contracts";
import { formatNumber as fmt } from "./format.js";
import { srmTest } from "./srm.js";

/** The data a verdict reads: one configuration from `from` on. */
export interface AssignmentPeriod {
  readonly config: AssignmentConfig;
  /** First prediction time after the last prediction of any other configuration. */
  readonly from: number;
}

/** The newest configuration and when its current period began; null without predictions. */
export function currentPeriod(groups: readonly AssignmentGroup[]): AssignmentPeriod | null {
  if (groups.length === 0) return null;
  const newest = groups.reduce((a, b) => (b.last_timestamp > a.last_timestamp ? b : a));
  const othersEnd = Math.max(
    ...groups.filter((g) => g !== newest).map((g) => g.last_timestamp + 1),
    newest.first_timestamp,
  );
  return {
    config: { assignment: newest.assignment, challenger_weight: newest.challenger_weight },
    from: othersEnd,
  };
}

/**
 * The weights a configuration was run with: champion 100 − w and challenger w when it records a
 * weight and the experiment's arms are those two; otherwise the experiment's own weights.
 */
export function configuredWeights(
  config: AssignmentConfig,
  experimentWeights: Readonly<Record<string, number>>,
): Record<string, number> {
  const arms = Object.keys(experimentWeights).sort();
  const w = config.challenger_weight;
  if (w === null || arms.join() !== [CHALLENGER, CHAMPION].join()) return { ...experimentWeights };
  return { [CHAMPION]: 100 - w, [CHALLENGER]: w };
}

/**
 * The goodness-of-fit of one configuration's counts against its weights, when it is defined: of
 * its users where they are the unit (see {@link splitsUsers}), else of its predictions.
 */
function srmOf(
  group: AssignmentGroup,
  weights: Readonly<Record<string, number>>,
): AssignmentSummary["srm"] {
  const observed = splitsUsers(group) ? group.units : group.predictions;
  const arms = Object.keys(observed).filter((v) => (weights[v] ?? 0) > 0);
  const counts = arms.map((v) => observed[v] as number);
  if (arms.length < 2 || counts.every((c) => c === 0)) return null;
  const srm = srmTest(
    counts,
    arms.map((v) => weights[v] as number),
  );
  return { chi2: srm.chi2, p_value: srm.pValue, mismatch: srm.mismatch };
}

const total = (g: AssignmentGroup): number =>
  Object.values(g.predictions).reduce((s, n) => s + n, 0);

/** What one observation is under each configuration, as the report says it. */
const UNIT_NOTE: Readonly<Record<AssignmentConfig["assignment"], string>> = {
  "user-hash":
    "user-hash (the API's split mode): the unit is the user; a user stays on one arm while the weight is unchanged",
  "gateway-weight":
    "gateway-weight (Gateway API HTTPRoute): the unit is the request; every request is drawn again, so a user can be seen on both arms and per-user observations are not independent",
  "nginx-canary-weight":
    "nginx-canary-weight (ingress-nginx canary-weight): the unit is the request, or the client session for clients that return the mlops-arm affinity cookie; users are not kept on one arm, so per-user observations are not independent",
  unknown:
    "unknown: recorded without the mechanism that assigned them (before it was recorded, or by a process not told its traffic split); their unit is unknown and their split is checked against the experiment's weights",
};

const iso = (t: number): string => new Date(t).toISOString();

/** What the analysis reads besides the store's groups. */
export interface AssignmentReportInput {
  readonly groups: readonly AssignmentGroup[];
  /** The experiment definition's weights, for configurations that recorded none. */
  readonly experimentWeights: Readonly<Record<string, number>>;
  readonly period: AssignmentPeriod | null;
  /** Predictions in the current period. */
  readonly periodPredictions: number;
  /** Users on more than one arm in the current period; null when not counted (see countsUserOverlap). */
  readonly usersInSeveralArms: number | null;
}

/** The configurations with their shares and split checks, the current period, and the notes. */
export function assignmentReport(input: AssignmentReportInput): AssignmentReport {
  const all = input.groups.reduce((s, g) => s + total(g), 0);
  const configurations = input.groups
    .map(
      (g): AssignmentSummary => ({
        ...g,
        unit: ASSIGNMENT_UNIT[g.assignment],
        total: total(g),
        share: all === 0 ? 0 : total(g) / all,
        srm: srmOf(g, configuredWeights(g, input.experimentWeights)),
      }),
    )
    .sort((a, b) => b.total - a.total);
  const { period } = input;
  const notes = [...new Set(configurations.map((c) => c.assignment))].map((a) => UNIT_NOTE[a]);
  const mixed = configurations.length > 1;
  if (period !== null) {
    const key = assignmentKey(period.config);
    if (mixed) {
      // The largest ten by name; the report's table has them all.
      const list = configurations
        .slice(0, 10)
        .map((c) => `${assignmentKey(c)} ${fmt(100 * c.share)}%`);
      if (configurations.length > 10) list.push(`${configurations.length - 10} more`);
      notes.push(
        `the data mixes ${configurations.length} configurations (${list.join(", ")}); they are not pooled, because a weight change confounds the arms with time and a mechanism change changes the unit: the verdict reads only the current period, ${key} since ${iso(period.from)} (${input.periodPredictions} predictions)`,
      );
    }
    if (input.usersInSeveralArms !== null) {
      notes.push(
        `${input.usersInSeveralArms} users were seen on more than one arm in the current period (${key}): observations are requests, not independent users`,
      );
    }
  }
  for (const c of configurations) {
    const weights = configuredWeights(c, input.experimentWeights);
    for (const [arm, n] of Object.entries(c.predictions)) {
      if (n > 0 && weights[arm] === 0) {
        notes.push(
          `sample ratio mismatch in ${assignmentKey(c)}: ${arm} has weight 0 but ${n} predictions`,
        );
      }
    }
    if (c.srm?.mismatch) {
      notes.push(
        `sample ratio mismatch in ${assignmentKey(c)} (p = ${fmt(c.srm.p_value)}): its split did not follow its configured weight`,
      );
    }
  }
  return {
    configurations,
    mixed,
    current:
      period === null
        ? null
        : {
            ...period.config,
            unit: ASSIGNMENT_UNIT[period.config.assignment],
            from: period.from,
            users_in_several_arms: input.usersInSeveralArms,
          },
    notes,
  };
}

/**
 * Whether `config` randomises users (user-hash): all of a user's requests land on one arm, so
 * its split is checked on distinct users, each request without a user id counted as one, since
 * per-arm prediction counts of users who come back vary far more than a multinomial allows.
 */
export const splitsUsers = (config: AssignmentConfig): boolean =>
  ASSIGNMENT_UNIT[config.assignment] === "user";

/**
 * Whether the analysis counts the users seen on several arms under `config`: where the unit is
 * the request. Under `user-hash` a period has none by construction, and for `unknown` data the
 * count (a lookup per row on SQLite) would not change what can be said about it.
 */
export const countsUserOverlap = (config: AssignmentConfig): boolean =>
  ASSIGNMENT_UNIT[config.assignment] === "request";
