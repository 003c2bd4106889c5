/**
 * Which mechanism put a prediction on its arm, recorded with every prediction so the A/B analysis
 * knows what an observation is. The configurations differ in the unit of randomisation:
 * - `user-hash`: the API in `split` mode hashes `user_id` with the experiment id (one user, one
 *   arm, across requests and pods);
 * - `gateway-weight`: a Gateway API HTTPRoute draws every request against its weights (a user can
 *   see both arms);
 * - `nginx-canary-weight`: ingress-nginx draws a request against `canary-weight`; a client that
 *   returns the session-affinity cookie stays on its arm, any other request is drawn again;
 * - `unknown`: records written before this was recorded, or by a process not told what assigned
 *   its arm (a `single`-mode process outside a stack).
 * Trusted canary overrides never reach the prediction log (they are no sample of the experiment),
 * so no record says "override".
 */
import { z } from "zod";
import { EpochMsSchema, VariantNameSchema } from "./primitives.js";

/** The data planes that can split traffic in front of `single`-mode pods (stack `trafficSplit`). */
export const TRAFFIC_SPLITS = ["gateway", "nginx-canary"] as const;
export type TrafficSplit = (typeof TRAFFIC_SPLITS)[number];

export const AssignmentSchema = z.enum([
  "user-hash",
  "gateway-weight",
  "nginx-canary-weight",
  "unknown",
]);
export type Assignment = z.infer<typeof AssignmentSchema>;

/** What one observation is under each assignment. */
export const ASSIGNMENT_UNIT = {
  "user-hash": "user",
  "gateway-weight": "request",
  "nginx-canary-weight": "request",
  unknown: "unknown",
} as const satisfies Record<Assignment, string>;
export type AssignmentUnit = (typeof ASSIGNMENT_UNIT)[Assignment];

/** The challenger's configured share, integer percent (the same scale as the canary weight). */
export const ChallengerWeightSchema = z.number().int().min(0).max(100);

/**
 * A configuration as records carry it: the mechanism and the challenger weight it was given,
 * which is known exactly when the mechanism is.
 */
export interface AssignmentConfig {
  readonly assignment: Assignment;
  readonly challenger_weight: number | null;
}

/** The rule every record and summary obeys: a known assignment has a weight, `unknown` none. */
export const consistentAssignment = (c: AssignmentConfig): boolean =>
  (c.assignment === "unknown") === (c.challenger_weight === null);
export const ASSIGNMENT_RULE =
  "is required (0-100) with a known assignment and must be null when the assignment is 'unknown'";

/** `gateway-weight@10`, `unknown`: how reports and decision records name a configuration. */
export function assignmentKey(c: AssignmentConfig): string {
  return c.challenger_weight === null ? c.assignment : `${c.assignment}@${c.challenger_weight}`;
}

const count = z.number().int().min(0);

/**
 * The predictions of one configuration in a query's window, as a store groups them: per
 * requested variant, and the first and last prediction time. `units` counts, per variant, what a
 * user-hash split randomises: distinct user ids, plus each prediction without one (hashed by its
 * request id); under user-hash the sample-ratio check reads them instead of `predictions`.
 */
export const AssignmentGroupSchema = z.object({
  assignment: AssignmentSchema,
  challenger_weight: ChallengerWeightSchema.nullable(),
  predictions: z.record(VariantNameSchema, count),
  units: z.record(VariantNameSchema, count),
  first_timestamp: EpochMsSchema,
  last_timestamp: EpochMsSchema,
});
export type AssignmentGroup = z.infer<typeof AssignmentGroupSchema>;

/** One configuration as the A/B analysis reports it. */
export const AssignmentSummarySchema = AssignmentGroupSchema.extend({
  unit: z.enum(["user", "request", "unknown"]),
  total: count,
  /** Its fraction of every prediction read. */
  share: z.number().min(0).max(1),
  /** Sample-ratio check of its counts against its configured weight; null when not computable. */
  srm: z.object({ chi2: z.number(), p_value: z.number(), mismatch: z.boolean() }).nullable(),
});
export type AssignmentSummary = z.infer<typeof AssignmentSummarySchema>;

/** What the analysis says about how the data was assigned. */
export const AssignmentReportSchema = z.object({
  /** Every configuration that produced predictions, largest share first. */
  configurations: z.array(AssignmentSummarySchema).max(500),
  /** True when more than one configuration (mechanism or weight) produced the data. */
  mixed: z.boolean(),
  /**
   * The configuration of the newest prediction and when its current period began (the first
   * prediction after the last one of any other configuration): the data the verdict reads.
   */
  current: z
    .object({
      assignment: AssignmentSchema,
      challenger_weight: ChallengerWeightSchema.nullable(),
      unit: z.enum(["user", "request", "unknown"]),
      from: EpochMsSchema,
      /** Users with predictions on more than one arm in the period; counted where the unit is the request. */
      users_in_several_arms: count.nullable(),
    })
    .nullable(),
  /** Readable statements: the unit, independence, the mix and how it was treated. */
  notes: z.array(z.string().max(2000)).max(1000),
});
export type AssignmentReport = z.infer<typeof AssignmentReportSchema>;
