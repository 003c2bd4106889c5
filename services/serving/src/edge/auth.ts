/**
 * Who may call the prediction routes (`MLOPS_AUTH`): API keys, or Entra ID access tokens. A
 * refused caller gets 401 with a `WWW-Authenticate` challenge (RFC 9110 §11.6.1) naming the
 * scheme, or 403 when an Entra token is valid but lacks the app role (RFC 6750 §3.1); the
 * request never reaches a handler, so nothing is predicted, logged or counted for it.
 */
import { API_KEY_HEADER, type EdgeAuth, entraIssuers } from "@mlops/contracts";
import type { FastifyRequest, onRequestHookHandler } from "fastify";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from "jose";
import { ServingError } from "../errors.js";
import type { EdgeSecrets } from "./secrets.js";

/** Where the challenges say the credential is for. */
const REALM = 'realm="predictions"';
const API_KEY_CHALLENGE = `ApiKey ${REALM}, header="${API_KEY_HEADER}"`;
const bearerChallenge = (error?: "invalid_token" | "insufficient_scope") =>
  `Bearer ${REALM}${error === undefined ? "" : `, error="${error}"`}`;

/** Tokens and keys longer than this are refused unread. */
const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * Admits requests whose `x-api-key` is one of the keys mounted from Key Vault (`api-key-*`) or
 * hashes to one of `sha256` (MLOPS_API_KEY_SHA256). The server keeps digests only.
 */
export function apiKeyHook(sha256: readonly string[], secrets: EdgeSecrets): onRequestHookHandler {
  const configured = sha256.map((h) => Buffer.from(h, "hex"));
  return async (request: FastifyRequest) => {
    const key = request.headers[API_KEY_HEADER];
    if (typeof key !== "string" || key === "") {
      throw new ServingError("UNAUTHORIZED", `header ${API_KEY_HEADER} is required`, undefined, {
        challenge: API_KEY_CHALLENGE,
      });
    }
    if (key.length > MAX_CREDENTIAL_LENGTH || !secrets.matches("api-key", key, configured)) {
      throw new ServingError(
        "UNAUTHORIZED",
        `header ${API_KEY_HEADER} is not an accepted key`,
        undefined,
        { challenge: API_KEY_CHALLENGE },
      );
    }
  };
}

type EntraAuth = Extract<EdgeAuth, { mode: "entra" }>;

/**
 * Admits requests with `Authorization: Bearer <token>` where the token is an Entra ID access
 * token signed by a key the tenant publishes (RS256), issued by the tenant (v1.0 or v2.0
 * endpoint), for `audience`, unexpired (a minute of clock skew allowed), with `appRole` in its
 * `roles` claim — the app role an administrator assigned the calling application
 * (learn.microsoft.com/entra/identity-platform/access-token-claims-reference, `roles`).
 * Signing keys are fetched from `jwksUrl` and cached; an unknown key id refetches them at most
 * every 30 s. When the keys cannot be fetched the answer is 503, not a refusal.
 */
export function entraHook(auth: EntraAuth): onRequestHookHandler {
  const keys = createRemoteJWKSet(new URL(auth.jwksUrl), {
    timeoutDuration: 5000,
    cooldownDuration: 30_000,
  });
  const issuer = [...entraIssuers(auth.tenantId)];
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (match === null) {
      throw new ServingError("UNAUTHORIZED", "an Entra ID bearer token is required", undefined, {
        challenge: bearerChallenge(),
      });
    }
    const token = match[1]!;
    let roles: unknown;
    try {
      if (token.length > MAX_CREDENTIAL_LENGTH) throw new joseErrors.JWTInvalid("token too long");
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience: auth.audience,
        algorithms: ["RS256"],
        clockTolerance: 60,
        requiredClaims: ["exp"],
      });
      roles = payload.roles;
    } catch (error) {
      if (keysUnavailable(error)) {
        throw new ServingError(
          "AUTH_UNAVAILABLE",
          "the signing keys could not be fetched",
          undefined,
          {
            cause: error,
          },
        );
      }
      throw new ServingError("UNAUTHORIZED", "the bearer token is not valid here", undefined, {
        challenge: bearerChallenge("invalid_token"),
        cause: error,
      });
    }
    if (!Array.isArray(roles) || !roles.includes(auth.appRole)) {
      throw new ServingError(
        "FORBIDDEN",
        `the token lacks the app role ${auth.appRole}`,
        undefined,
        {
          challenge: bearerChallenge("insufficient_scope"),
        },
      );
    }
  };
}

/**
 * True when `error` says the signing keys could not be had (network, timeout, a non-200 or
 * malformed key set) rather than that the token is bad: jose raises its generic error for the
 * HTTP status and plain errors for the network.
 */
function keysUnavailable(error: unknown): boolean {
  return (
    !(error instanceof joseErrors.JOSEError) ||
    error.code === "ERR_JOSE_GENERIC" ||
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid
  );
}

/** The hook `auth` calls for, or none when the routes are open. */
export function authHook(auth: EdgeAuth, secrets: EdgeSecrets): onRequestHookHandler | null {
  switch (auth.mode) {
    case "none":
      return null;
    case "api-keys":
      return apiKeyHook(auth.sha256, secrets);
    case "entra":
      return entraHook(auth);
  }
}
