/**
 * The canary override (`CANARY_OVERRIDE` in `@mlops/contracts`): `x-canary: always|never`, or the
 * `mlops-canary` cookie with those values, asks for an arm. Only a caller that also sends a valid
 * `x-canary-token` (one of the `canary-token-*` secrets, which the pipeline's smoke test reads
 * from Key Vault) is trusted with it. Precedence is ingress-nginx's: the header, then the cookie;
 * any other value is no override at all.
 */
import { CANARY_OVERRIDE, type ServedVariant } from "@mlops/contracts";
import type { FastifyRequest } from "fastify";
import type { EdgeSecrets } from "./secrets.js";

/** What a request asks of the split. */
export type CanaryOverride =
  | { readonly kind: "none" }
  /** A trusted caller forces `arm`. */
  | { readonly kind: "trusted"; readonly arm: ServedVariant }
  /** Someone without a valid token asks for `arm`. */
  | { readonly kind: "untrusted"; readonly arm: ServedVariant };

/** The values that ask for an arm: a Map, so that no inherited name (`toString`) reads as one. */
const ARMS: ReadonlyMap<string, ServedVariant> = new Map([
  [CANARY_OVERRIDE.values.challenger, "challenger"],
  [CANARY_OVERRIDE.values.champion, "champion"],
]);

/** The value of cookie `name` in a `Cookie` header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** Longest token compared; a longer one cannot be a secret this platform wrote. */
const MAX_TOKEN_LENGTH = 4096;

/** The override `request` carries, judged against the mounted canary tokens. */
export function canaryOverride(request: FastifyRequest, secrets: EdgeSecrets): CanaryOverride {
  const header = request.headers[CANARY_OVERRIDE.header];
  const arm =
    (typeof header === "string" ? ARMS.get(header) : undefined) ??
    ARMS.get(cookieValue(request.headers.cookie, CANARY_OVERRIDE.cookie) ?? "");
  if (arm === undefined) return { kind: "none" };
  const token = request.headers[CANARY_OVERRIDE.tokenHeader];
  const trusted =
    typeof token === "string" &&
    token.length <= MAX_TOKEN_LENGTH &&
    secrets.matches("canary-token", token);
  return { kind: trusted ? "trusted" : "untrusted", arm };
}
