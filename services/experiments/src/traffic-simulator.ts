/**
 * Synthetic, labelled traffic with a known effect, sent to a running prediction API to
 * demonstrate and test the A/B loop end to end: `POST /predict` for many users (the API assigns
 * each user an arm), then `POST /feedback` with an outcome drawn so that the challenger's accuracy
 * (or numeric outcome) exceeds the champion's by exactly `effect` in expectation. Bounded in
 * requests and time, and seeded per request, so the same options send the same traffic whatever
 * the concurrency.
 */
import {
  bytesText,
  ContractValidationError,
  FeedbackResponseSchema,
  fetchJson,
  MAX_TIMER_MS,
  PredictResponseSchema,
  parseServiceUrl,
  serviceUrl,
  zodIssues,
} from "@mlops/contracts";
import { fetchFailure } from "@mlops/contracts/fetch-failure";
import { deriveSeed, Random } from "@mlops/garch/random";
import { ExperimentsInputError } from "./errors.js";
import type { PlanMetric } from "./plan.js";
import {
  requireClosedInterval,
  requireCount,
  requireFinite,
  requireNonNegative,
  requirePositive,
} from "./validate.js";

/** The most requests one run may send. */
export const MAX_SIMULATED_REQUESTS = 1_000_000;
/** The most requests in flight at once. */
export const MAX_SIMULATED_CONCURRENCY = 256;

/** What to send. */
export interface TrafficOptions {
  /** Base URL of the API (`parseServiceUrl`); its path prefixes `/predict` and `/feedback`. */
  readonly url: string;
  /** Challenger − champion, in accuracy (a fraction) or outcome units. */
  readonly effect: number;
  /** Default "accuracy". */
  readonly metric?: PlanMetric;
  /** The champion's accuracy, default 0.7; or its mean outcome, default 10. */
  readonly baseline?: number;
  /** SD of numeric outcomes. Default 1. */
  readonly sd?: number;
  /** Predictions to request. Default 1000. */
  readonly requests?: number;
  /** Distinct users drawn from (each keeps one arm). Default: as many as requests. */
  readonly users?: number;
  /** Default 1. */
  readonly seed?: number;
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Features per row (the served model's). Default 5, the demo classifier's. */
  readonly features?: number;
  /** Stop sending after this long. Default 120 000 ms. */
  readonly timeoutMs?: number;
  /** Longest wait for one answer; a request that waits longer fails. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
}

/** What one arm received. */
export interface ArmTraffic {
  readonly predictions: number;
  readonly feedback: number;
  /** Mean of the outcomes sent: the share of correct outcomes for accuracy. */
  readonly meanOutcome: number;
}

/** What was sent. */
export interface TrafficSummary {
  readonly url: string;
  readonly metric: PlanMetric;
  readonly baseline: number;
  readonly effect: number;
  readonly seed: number;
  readonly requested: number;
  /** Predictions and feedback both answered. */
  readonly completed: number;
  /** Requests the API rejected, answered unexpectedly, or left unanswered past `requestTimeoutMs`. */
  readonly failed: number;
  /** Requests still waiting for an answer when the time bound (`timeoutMs`) stopped the run. */
  readonly unanswered: number;
  /** The first failure's message. */
  readonly firstError: string | null;
  /** The time bound stopped the run before every request was sent. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  readonly arms: Record<string, ArmTraffic>;
}

/** The API could not be reached at all (as opposed to answering with an error). */
export class TrafficError extends Error {
  override readonly name = "TrafficError";
}

interface Settings {
  readonly base: URL;
  readonly metric: PlanMetric;
  readonly baseline: number;
  readonly effect: number;
  readonly sd: number;
  readonly requests: number;
  readonly users: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly features: number;
  readonly timeoutMs: number;
  readonly requestTimeoutMs: number;
}

function requireWhole(name: string, x: number, min: number, max: number): void {
  requireCount(name, x);
  if (x < min || x > max) {
    throw new ExperimentsInputError("OUT_OF_RANGE", name, `must lie in [${min}, ${max}], got ${x}`);
  }
}

/** A delay Node's timers keep: a longer one would pass at once (they take it as 1 ms). */
function requireTimer(name: string, ms: number): void {
  requirePositive(name, ms);
  if (ms > MAX_TIMER_MS) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      name,
      `must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${ms}`,
    );
  }
}

function settingsOf(opts: TrafficOptions): Settings {
  const parsed = parseServiceUrl(opts.url);
  if (!parsed.ok) throw new ExperimentsInputError("INVALID_URL", "url", parsed.rule);
  const metric = opts.metric ?? "accuracy";
  const baseline = opts.baseline ?? (metric === "accuracy" ? 0.7 : 10);
  requireFinite("effect", opts.effect);
  if (metric === "accuracy") {
    requireClosedInterval("baseline", baseline, 0, 1);
    const target = baseline + opts.effect;
    if (!(target >= 0 && target <= 1)) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        "effect",
        `baseline + effect must lie in [0, 1] for accuracy, got ${baseline} + ${opts.effect}`,
      );
    }
  } else {
    requireFinite("baseline", baseline);
  }
  const sd = opts.sd ?? 1;
  requireNonNegative("sd", sd);
  const requests = opts.requests ?? 1000;
  requireWhole("requests", requests, 1, MAX_SIMULATED_REQUESTS);
  const users = opts.users ?? requests;
  requireWhole("users", users, 1, MAX_SIMULATED_REQUESTS);
  const seed = opts.seed ?? 1;
  requireWhole("seed", seed, 0, 2 ** 32 - 1);
  const concurrency = opts.concurrency ?? 8;
  requireWhole("concurrency", concurrency, 1, MAX_SIMULATED_CONCURRENCY);
  const features = opts.features ?? 5;
  requireWhole("features", features, 1, 1024);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  requireTimer("timeoutMs", timeoutMs);
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  requireTimer("requestTimeoutMs", requestTimeoutMs);
  return {
    base: parsed.url,
    metric,
    baseline,
    effect: opts.effect,
    sd,
    requests,
    users,
    seed,
    concurrency,
    features,
    timeoutMs,
    requestTimeoutMs,
  };
}

/** No connection to the API (its reason: ECONNREFUSED, ENOTFOUND, …): it ends the run. */
class Unreachable extends Error {}

/**
 * POSTs `body` to `url` and returns the answer read by `schema`. Each way it can go wrong is an
 * error naming the request: no answer within `timeoutMs`, an answer cut off mid-body, an error
 * status, a body over the answer cap, a body that is not JSON, or one that breaks the contract
 * (`field: rule`); no connection is `Unreachable`. The run's `deadline` ends it with fetch's own
 * TimeoutError. (`S` is the schema type `fetchJson` takes: this package reads zod only through
 * the contracts.)
 */
async function postJson<S extends Parameters<typeof fetchJson>[0]["schema"]>(
  url: URL,
  body: unknown,
  schema: S,
  limits: { deadline: AbortSignal; timeoutMs: number },
) {
  const request = `POST ${url.pathname}`;
  const result = await fetchJson({
    url,
    body,
    schema,
    timeoutMs: limits.timeoutMs,
    signal: limits.deadline,
  });
  if (result.ok) return result.data;
  const { failure } = result;
  switch (failure.kind) {
    case "timeout":
      throw new Error(`${request}: no answer within ${limits.timeoutMs} ms`);
    case "unreachable":
      throw new Unreachable(failure.code ?? failure.message);
    case "cut-off":
      // The API was reached and began to answer: a failed request, not an unreachable API.
      throw new Error(
        `${request} answered ${failure.status}, and the answer was cut off mid-body: ${failure.message}`,
      );
    case "too-large":
      throw new Error(
        `${request} answered ${failure.status} with a body over the ${bytesText(failure.maxBytes)} cap`,
      );
    case "status":
      throw new Error(`${request} answered ${failure.status}: ${failure.body.slice(0, 300)}`);
    case "not-json":
      throw new Error(
        `${request} answered ${failure.status} with a body that is not JSON: ${failure.body.slice(0, 100)}`,
      );
    case "contract":
      throw new ContractValidationError(`the answer to ${request}`, zodIssues(failure.error));
  }
}

/**
 * Sends the traffic and reports what was sent. An API that answers with errors (or not within
 * `requestTimeoutMs`) is counted in `failed`, and requests the time bound cut off in
 * `unanswered`; an API that cannot be reached throws `TrafficError`; bad options throw
 * `ExperimentsInputError` naming the option.
 */
export async function simulateTraffic(opts: TrafficOptions): Promise<TrafficSummary> {
  const s = settingsOf(opts);
  const predictUrl = serviceUrl(s.base, "/predict");
  const feedbackUrl = serviceUrl(s.base, "/feedback");
  const deadline = AbortSignal.timeout(s.timeoutMs);
  const limits = { deadline, timeoutMs: s.requestTimeoutMs };
  const started = performance.now();
  const arms = new Map<string, { predictions: number; feedback: number; sum: number }>();
  let next = 0;
  let completed = 0;
  let failed = 0;
  let unanswered = 0;
  let firstError: string | null = null;
  let unreachable: string | null = null;

  const one = async (i: number): Promise<void> => {
    // One generator per request: what request i sends does not depend on scheduling.
    const rng = new Random(deriveSeed(s.seed, i));
    const user = `sim-${s.seed}-${Math.floor(rng.nextFloat() * s.users)}`;
    const features = Array.from({ length: s.features }, () =>
      Number((rng.nextFloat() * 4 - 2).toFixed(4)),
    );
    const answer = await postJson(
      predictUrl,
      { features, user_id: user },
      PredictResponseSchema,
      limits,
    );
    const arm = arms.get(answer.variant) ?? { predictions: 0, feedback: 0, sum: 0 };
    arms.set(answer.variant, arm);
    arm.predictions++;
    const shift = answer.variant === "challenger" ? s.effect : 0;
    let outcome: string | number;
    let value: number;
    if (s.metric === "accuracy") {
      const right = rng.nextFloat() < s.baseline + shift;
      const others = Object.keys(answer.probabilities).filter((c) => c !== answer.prediction);
      if (!right && others.length === 0) {
        throw new Error("the model knows a single class, so no outcome can be wrong");
      }
      outcome = right ? answer.prediction : others[Math.floor(rng.nextFloat() * others.length)]!;
      value = right ? 1 : 0;
    } else {
      value = s.baseline + shift + s.sd * rng.standardNormal();
      outcome = value;
    }
    await postJson(
      feedbackUrl,
      { request_id: answer.request_id, outcome },
      FeedbackResponseSchema,
      limits,
    );
    arm.feedback++;
    arm.sum += value;
    completed++;
  };

  const worker = async (): Promise<void> => {
    while (next < s.requests && !deadline.aborted && unreachable === null) {
      const i = next++;
      try {
        await one(i);
      } catch (error) {
        if (deadline.aborted && fetchFailure(error)?.kind === "timeout") {
          unanswered++;
          return;
        }
        if (error instanceof Unreachable) {
          unreachable = error.message;
          return;
        }
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  if (unreachable !== null) {
    throw new TrafficError(`could not reach ${s.base.href}: ${unreachable}`);
  }
  return {
    url: s.base.href,
    metric: s.metric,
    baseline: s.baseline,
    effect: s.effect,
    seed: s.seed,
    requested: s.requests,
    completed,
    failed,
    unanswered,
    firstError,
    timedOut: deadline.aborted && completed + failed < s.requests,
    elapsedMs: performance.now() - started,
    arms: Object.fromEntries(
      [...arms].map(([name, a]) => [
        name,
        {
          predictions: a.predictions,
          feedback: a.feedback,
          meanOutcome: a.feedback === 0 ? 0 : a.sum / a.feedback,
        },
      ]),
    ),
  };
}
