/**
 * The public edge as data, agreed between the server (which enforces it too), the route
 * components that publish it (Gateway API route or NGINX Ingress) and the policy pack that checks
 * them: which paths the internet may reach, how a trusted caller forces an arm, and which Key
 * Vault secrets the serving pods read.
 */
import { HEALTH_PATHS } from "./api.js";
import { GARCH_PUBLIC_PATHS } from "./garch-service.js";

/**
 * Path prefixes the public route forwards, matched element by element (`/predict` covers
 * `/predict/batch`, not `/predictions`), as Gateway API's `PathPrefix` and an Ingress's `Prefix`
 * match (its entries in `PUBLIC_PATHS.api`). Everything else stays in the cluster: `/metrics`
 * (Prometheus scrapes the pods), `/docs`, `/dashboard` (port-forward), `/models`, `/ab-test/*`
 * and the probes' `/health/live`. The readiness path is public because the availability test
 * probes it from outside.
 */
export const PUBLIC_PATH_PREFIXES = [
  "/predict",
  "/feedback",
  "/garch/forecast",
  "/garch/fit-forecast",
  HEALTH_PATHS.ready,
] as const;

/**
 * How a public path matches a request path: `exact` only the path itself (Gateway API `Exact`,
 * Ingress `Exact`), `prefix` the path and everything below it by whole path elements (`PathPrefix`,
 * Ingress `Prefix`).
 */
export type PathMatch = "exact" | "prefix";

/** One entry of a public service's allow-list. */
export interface PublicPath {
  /** Starts with '/'. */
  readonly path: string;
  readonly match: PathMatch;
}

/**
 * Each public service's allow-list: the prediction API's (its prefixes), and the GARCH volatility
 * service's on its own host. The server refuses proxied requests outside its own; the route
 * components publish each entry with its match; the policy pack holds each public route to the
 * list its `PUBLIC_ROUTE_LABEL` names.
 */
export const PUBLIC_PATHS = {
  api: PUBLIC_PATH_PREFIXES.map((path): PublicPath => ({ path, match: "prefix" })),
  garch: GARCH_PUBLIC_PATHS,
} as const satisfies Record<string, readonly PublicPath[]>;

/** A service with a public route. */
export type PublicService = keyof typeof PUBLIC_PATHS;

/**
 * Label on a public route object (HTTPRoute, Ingress) naming the service whose allow-list it
 * publishes (a `PublicService`); a route without it is the prediction API's.
 */
export const PUBLIC_ROUTE_LABEL = "mlops.platform/public-paths";

/**
 * True when `path` (a request path; any query is ignored) is one of `allowed` (the prediction
 * API's public paths unless given): equal to an entry, or below a `prefix` entry by whole path
 * elements.
 */
export function isPublicPath(
  path: string,
  allowed: readonly PublicPath[] = PUBLIC_PATHS.api,
): boolean {
  const bare = path.split("?", 1)[0]!;
  return allowed.some(
    (entry) =>
      bare === entry.path || (entry.match === "prefix" && bare.startsWith(`${entry.path}/`)),
  );
}

/** The request header carrying an API key (`MLOPS_AUTH=api-keys`). */
export const API_KEY_HEADER = "x-api-key";

/**
 * The canary override: the header (and cookie) that force an arm, with ingress-nginx's
 * `canary-by-header` values, and the header a trusted caller adds to prove it may. The server
 * honours an override only with a valid token (one of the `canary-token-*` secrets); overridden
 * predictions are counted apart and never enter the A/B analysis.
 */
export const CANARY_OVERRIDE = {
  header: "x-canary",
  cookie: "mlops-canary",
  tokenHeader: "x-canary-token",
  values: { challenger: "always", champion: "never" },
} as const;

/** What a secret mounted into the serving pods is for. */
export type EdgeSecretKind = "api-key" | "canary-token";

/** One Key Vault secret the pods read, and the file the Secrets Store CSI driver writes it to. */
export interface EdgeSecret {
  /** Key Vault secret name (1-127 letters, digits and '-'). */
  readonly vaultName: string;
  /** File name in the mounted directory (`MLOPS_SECRETS_DIR`). */
  readonly file: string;
  readonly kind: EdgeSecretKind;
}

/**
 * The pods' secrets: two API keys, both accepted at once so one can be rotated while clients
 * still hold the other, and two canary tokens for the same reason.
 */
export const EDGE_SECRETS: readonly EdgeSecret[] = [
  { vaultName: "serving-api-key-1", file: "api-key-1", kind: "api-key" },
  { vaultName: "serving-api-key-2", file: "api-key-2", kind: "api-key" },
  { vaultName: "serving-canary-token-1", file: "canary-token-1", kind: "canary-token" },
  { vaultName: "serving-canary-token-2", file: "canary-token-2", kind: "canary-token" },
];
