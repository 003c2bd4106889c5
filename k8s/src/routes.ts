/**
 * What both traffic-split implementations (the Gateway API route and the
 * NGINX canary Ingress pair) share: the public hosts and paths, the two
 * backends, the forcing header and the checks on them.
 */
import { HTTP_TOKEN } from "@mlops/contracts";
import type * as pulumi from "@pulumi/pulumi";
import { assertDns1123Subdomain } from "./names.js";

/** One host + path the API is served on. */
export interface IngressRule {
  /** Public host name: a DNS-1123 subdomain. */
  readonly host: string;
  /** Path, starting with '/': a prefix of whole path elements unless `exact`. @default "/" */
  readonly path?: string;
  /**
   * Match the path only, not what lies below it (Gateway API `Exact`, Ingress `Exact`): a route
   * that publishes one endpoint without its neighbours (`/health` without `/health/live`).
   * @default false
   */
  readonly exact?: boolean;
}

/** A Service a route sends requests to. */
export interface BackendService {
  /** The Service's name (from {@link ModelDeployment.serviceName}). */
  readonly name: pulumi.Input<string>;
  /** The Service port to route to. */
  readonly port: number;
}

/**
 * Request header that forces an arm, for the pipeline's smoke test and QA:
 * `always` → the challenger, `never` → the champion, anything else falls
 * through to the weighted split. The values are ingress-nginx's
 * `canary-by-header` values, so one smoke test drives both implementations.
 */
export const DEFAULT_FORCE_HEADER = "X-Canary";

/** The forcing header's value per arm. */
export const FORCE_HEADER_VALUES = { challenger: "always", champion: "never" } as const;

/** Throws unless `value` is an HTTP header (or cookie) name; `what` names the rule. */
export function assertToken(field: string, value: string, what: string): void {
  if (!HTTP_TOKEN.test(value)) throw new Error(`${field}: "${value}" must be ${what}`);
}

/** Throws unless `weight` is an integer percent. */
export function assertWeight(field: string, weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new Error(`${field}: ${weight} must be an integer in 0-100`);
  }
}

/** Path of a rule, with the default applied. */
export const pathOf = (rule: IngressRule): string => rule.path ?? "/";

/** Host + path key of a rule, with the default path applied. */
export function ruleKey(rule: IngressRule): string {
  return `${rule.host}${pathOf(rule)}`;
}

/** The distinct hosts of `rules`, in first-seen order. */
export const hostsOf = (rules: readonly IngressRule[]): string[] => [
  ...new Set(rules.map((r) => r.host)),
];

/** Throws, naming the field and the rule, unless `rules` are non-empty, well-formed and distinct. */
export function validateRules(rules: readonly IngressRule[]): void {
  if (rules.length === 0) throw new Error("rules: at least one host is required");
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    assertDns1123Subdomain(`rules[${i}].host`, rule.host);
    const path = pathOf(rule);
    if (!path.startsWith("/") || /\s/.test(path)) {
      throw new Error(`rules[${i}].path: "${path}" must start with '/' and contain no whitespace`);
    }
    if (seen.has(ruleKey(rule))) {
      throw new Error(`rules[${i}]: ${ruleKey(rule)} is listed twice`);
    }
    seen.add(ruleKey(rule));
  });
}

/** Throws unless both backends have a valid port. */
export function validateBackends(backends: Readonly<Record<string, BackendService>>): void {
  for (const [field, backend] of Object.entries(backends)) {
    if (!Number.isInteger(backend.port) || backend.port < 1 || backend.port > 65535) {
      throw new Error(`${field}.port: ${backend.port} must be an integer in 1-65535`);
    }
  }
}
