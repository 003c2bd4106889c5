/**
 * The `MLOPS_` namespace: the variables platform processes other than the server read, and the
 * rule that refuses a name in it nobody reads (a misspelt challenger weight would otherwise leave
 * the setting at its default without a word).
 */
import type { ValidationIssue } from "./errors.js";

/** The prefix of the platform's own variables. */
const PLATFORM_ENV_PREFIX = "MLOPS_";

/**
 * `MLOPS_` variables read by the CLIs and jobs, not by the server: a shell or job environment may
 * set them beside the server's own.
 */
export const PLATFORM_ENV = {
  /** `mlops smoke` and `mlops loadtest`'s caller credentials (release smoke.ts). */
  smokeApiKey: "MLOPS_SMOKE_API_KEY",
  smokeBearerToken: "MLOPS_SMOKE_BEARER_TOKEN",
  smokeCanaryToken: "MLOPS_SMOKE_CANARY_TOKEN",
  /** An Azure ML training job's model output (training's artifact-publisher.ts). */
  modelOutputUri: "MLOPS_MODEL_OUTPUT_URI",
  modelOutputDir: "MLOPS_MODEL_OUTPUT_DIR",
} as const;

/**
 * Farthest (in single-character edits) a known name may be from an unknown one to be suggested,
 * and never half the known name's length (less the prefix) or more: `FOO` with the prefix is no
 * misspelling of `PORT` or `MLOPS_MODE`.
 */
const MAX_SUGGESTION_DISTANCE = 3;

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `name` without the platform's prefix. */
const bareOf = (name: string) =>
  name.startsWith(PLATFORM_ENV_PREFIX) ? name.slice(PLATFORM_ENV_PREFIX.length) : name;

/**
 * The name of `candidates` nearest `name` within MAX_SUGGESTION_DISTANCE (and under half the
 * candidate's length less the prefix), or null. A name given the prefix by mistake (`PORT` with it) is compared
 * without it too.
 */
export function nearestName(name: string, candidates: readonly string[]): string | null {
  const bare = bareOf(name);
  let best: { name: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const distance = Math.min(editDistance(name, candidate), editDistance(bare, candidate));
    const close = distance <= MAX_SUGGESTION_DISTANCE && 2 * distance < bareOf(candidate).length;
    if (close && (best === null || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name ?? null;
}

/**
 * An issue for each `MLOPS_` name of `names` (an environment's) that is neither one of `read`
 * (what this process reads, also the names suggested) nor a PLATFORM_ENV variable.
 */
export function unknownPlatformVariables(
  names: readonly string[],
  read: readonly string[],
): ValidationIssue[] {
  const known = new Set<string>([...read, ...Object.values(PLATFORM_ENV)]);
  return names
    .filter((name) => name.startsWith(PLATFORM_ENV_PREFIX) && !known.has(name))
    .sort()
    .map((name) => {
      const near = nearestName(name, read);
      return {
        path: name,
        message: `is not a variable of the platform${near === null ? "" : `; did you mean ${near}?`}`,
      };
    });
}
