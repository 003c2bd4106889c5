/**
 * How the server guards its edge, from the environment: who may call the prediction routes
 * (`MLOPS_AUTH`), where the secrets Key Vault hands the pod are mounted (`MLOPS_SECRETS_DIR`),
 * and whether requests that came through a proxy may reach anything but the public paths
 * (`MLOPS_OPS_INTERNAL_ONLY`).
 */
import { z } from "zod";
import { enumVar, intVar, listVar, textVar } from "./env.js";
import { Sha256HexSchema } from "./primitives.js";

/** Env var names of the edge settings. */
export const EDGE_ENV = {
  auth: "MLOPS_AUTH",
  apiKeyHashes: "MLOPS_API_KEY_SHA256",
  secretsDir: "MLOPS_SECRETS_DIR",
  secretsRefreshMs: "MLOPS_SECRETS_REFRESH_MS",
  entraTenantId: "MLOPS_ENTRA_TENANT_ID",
  entraAudience: "MLOPS_ENTRA_AUDIENCE",
  entraAppRole: "MLOPS_ENTRA_APP_ROLE",
  entraJwksUrl: "MLOPS_ENTRA_JWKS_URL",
  opsInternalOnly: "MLOPS_OPS_INTERNAL_ONLY",
} as const;

/**
 * `none`: open (a laptop, tests); `api-keys`: an `x-api-key` whose SHA-256 is listed in
 * `MLOPS_API_KEY_SHA256` or that equals an `api-key-*` file in `MLOPS_SECRETS_DIR`; `entra`: an
 * Entra ID access token of the tenant, for the audience, carrying the app role.
 */
export const AUTH_MODES = ["none", "api-keys", "entra"] as const;

/** Who may call the prediction routes. */
export type EdgeAuth =
  | { readonly mode: "none" }
  | {
      readonly mode: "api-keys";
      /** SHA-256 hex of keys accepted besides those in the secrets directory. */
      readonly sha256: readonly string[];
    }
  | {
      readonly mode: "entra";
      readonly tenantId: string;
      /** The API's application ID URI or client id: the tokens' `aud`. */
      readonly audience: string;
      /** App role a caller's token must carry in `roles`. */
      readonly appRole: string;
      /** Where the tenant's signing keys are published. */
      readonly jwksUrl: string;
    };

export interface EdgeConfig {
  readonly auth: EdgeAuth;
  /** Directory of secrets mounted from Key Vault (`api-key-*`, `canary-token-*`); null → none. */
  readonly secretsDir: string | null;
  /** How often the mounted secrets are read again, so a rotated one takes effect (ms). */
  readonly secretsRefreshMs: number;
  /** Refuse proxied requests (`Forwarded`, `X-Forwarded-For`) outside `PUBLIC_PATH_PREFIXES`. */
  readonly opsInternalOnly: boolean;
}

/**
 * How often mounted secrets are read again by default: the CSI driver polls Key Vault every 2 min,
 * so a rotation reaches the server within about 2.5 min.
 */
export const DEFAULT_SECRETS_REFRESH_MS = 30_000;

/** The signing keys of tenant `tenantId`, as Entra ID publishes them for v2 endpoints. */
export const entraJwksUrl = (tenantId: string): string =>
  `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`;

/** The issuers of tenant `tenantId`'s access tokens: v2.0 tokens, then v1.0 tokens. */
export const entraIssuers = (tenantId: string): readonly string[] => [
  `https://login.microsoftonline.com/${tenantId}/v2.0`,
  `https://sts.windows.net/${tenantId}/`,
];

const TenantSchema = z.uuid({ error: "must be the tenant's id (a GUID)" });
const AudienceSchema = z.string().min(1).max(256);
const AppRoleSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/, {
  error: "must be an app role value: letters, digits, '.', '_' or '-'",
});
/** HTTPS, or HTTP on loopback (a test's key server). */
const JwksUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((u) => u.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u), {
    error: "must be an https URL (http only on 127.0.0.1 or localhost)",
  });
const DirSchema = z.string().min(1).max(1024);

const E = EDGE_ENV;

/** The edge variables as a zod shape keyed by env var name (so issues name the VARIABLE). */
export const edgeEnvShape = {
  [E.auth]: textVar(z.enum(AUTH_MODES), null),
  [E.apiKeyHashes]: listVar(Sha256HexSchema, 100),
  [E.secretsDir]: textVar(DirSchema, null),
  [E.secretsRefreshMs]: intVar(DEFAULT_SECRETS_REFRESH_MS, 1000, 3_600_000),
  [E.entraTenantId]: textVar(TenantSchema, null),
  [E.entraAudience]: textVar(AudienceSchema, null),
  [E.entraAppRole]: textVar(AppRoleSchema, null),
  [E.entraJwksUrl]: textVar(JwksUrlSchema, null),
  [E.opsInternalOnly]: enumVar(["true", "false"], "false"),
};

type EdgeEnv = z.output<z.ZodObject<typeof edgeEnvShape>>;

/** Build the typed settings from parsed variables; each inconsistency is reported on its variable. */
export function edgeConfigFromEnv(env: EdgeEnv, ctx: z.RefinementCtx): EdgeConfig {
  const issue = (variable: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [variable], message });
  const hashes = env[E.apiKeyHashes];
  const secretsDir = env[E.secretsDir];
  // A mounted directory may hold API keys or only canary tokens: which one is the operator's to say.
  if (env[E.auth] === null && secretsDir !== null) {
    issue(
      E.auth,
      `is required when ${E.secretsDir} is set: api-keys to accept its api-key-* files, none to read only its canary tokens, or entra`,
    );
  }
  // Unset means: keys when hashes are configured (how the server has always read them), else open.
  const mode = env[E.auth] ?? (hashes.length > 0 ? "api-keys" : "none");
  if (mode !== "api-keys" && hashes.length > 0) {
    issue(E.apiKeyHashes, `takes effect only with ${E.auth}=api-keys`);
  }
  const entraVars = [E.entraTenantId, E.entraAudience, E.entraAppRole, E.entraJwksUrl] as const;
  if (mode !== "entra") {
    for (const v of entraVars)
      if (env[v] !== null) issue(v, `takes effect only with ${E.auth}=entra`);
  }
  const common = {
    secretsDir,
    secretsRefreshMs: env[E.secretsRefreshMs],
    opsInternalOnly: env[E.opsInternalOnly] === "true",
  };
  if (mode === "api-keys") {
    if (hashes.length === 0 && secretsDir === null) {
      issue(E.auth, `api-keys needs ${E.secretsDir} (keys from Key Vault) or ${E.apiKeyHashes}`);
    }
    return { auth: { mode, sha256: hashes }, ...common };
  }
  if (mode === "entra") {
    const tenantId = env[E.entraTenantId];
    const audience = env[E.entraAudience];
    const appRole = env[E.entraAppRole];
    for (const [v, value] of [
      [E.entraTenantId, tenantId],
      [E.entraAudience, audience],
      [E.entraAppRole, appRole],
    ] as const) {
      if (value === null) issue(v, `is required when ${E.auth} is 'entra'`);
    }
    if (tenantId === null || audience === null || appRole === null) return z.NEVER;
    const jwksUrl = env[E.entraJwksUrl] ?? entraJwksUrl(tenantId);
    return { auth: { mode, tenantId, audience, appRole, jwksUrl }, ...common };
  }
  return { auth: { mode: "none" }, ...common };
}

/** The env vars that make the parser return `config`. */
export function renderEdgeEnv(config: EdgeConfig): Record<string, string> {
  const env: Record<string, string> = {
    [E.auth]: config.auth.mode,
    [E.opsInternalOnly]: String(config.opsInternalOnly),
    [E.secretsRefreshMs]: String(config.secretsRefreshMs),
  };
  if (config.secretsDir !== null) env[E.secretsDir] = config.secretsDir;
  if (config.auth.mode === "api-keys" && config.auth.sha256.length > 0) {
    env[E.apiKeyHashes] = config.auth.sha256.join(",");
  }
  if (config.auth.mode === "entra") {
    env[E.entraTenantId] = config.auth.tenantId;
    env[E.entraAudience] = config.auth.audience;
    env[E.entraAppRole] = config.auth.appRole;
    env[E.entraJwksUrl] = config.auth.jwksUrl;
  }
  return env;
}
