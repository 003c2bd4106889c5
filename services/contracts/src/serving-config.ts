/**
 * The prediction server's configuration, read from the environment. `parseServingConfig` is what
 * the server runs at start; `renderServingEnv` is what Kubernetes manifests use, so a pod gets
 * exactly the variables the server parses (`parse(render(c))` equals `c`).
 */
import { z } from "zod";
import { type AssignmentConfig, TRAFFIC_SPLITS, type TrafficSplit } from "./assignment.js";
import {
  EDGE_ENV,
  type EdgeConfig,
  edgeConfigFromEnv,
  edgeEnvShape,
  renderEdgeEnv,
} from "./edge-config.js";
import { type EnvRecord, enumVar, intVar, listVar, numberVar, textVar } from "./env.js";
import { parseOrThrow } from "./errors.js";
import { formatModelRef, type ModelRef, PinnedModelRefSchema } from "./model-ref.js";
import { unknownPlatformVariables } from "./platform-env.js";
import { NameSchema, type ServedVariant, ServedVariantSchema } from "./primitives.js";
import {
  renderStoreEnv,
  STORE_ENV,
  type StoreConfig,
  storeConfigFromEnv,
  storeEnvShape,
} from "./store-config.js";

/** Env var names, one per setting. */
export const SERVING_ENV = {
  port: "PORT",
  host: "HOST",
  workers: "MLOPS_WORKERS",
  mode: "MLOPS_MODE",
  variant: "MLOPS_VARIANT",
  trafficSplit: "MLOPS_TRAFFIC_SPLIT",
  experimentId: "MLOPS_EXPERIMENT_ID",
  challengerWeight: "MLOPS_CHALLENGER_WEIGHT",
  championModel: "MLOPS_CHAMPION_MODEL",
  challengerModel: "MLOPS_CHALLENGER_MODEL",
  garchModel: "MLOPS_GARCH_MODEL",
  artifactDir: "MLOPS_ARTIFACT_DIR",
  batchMaxRows: "MLOPS_BATCH_MAX_ROWS",
  logQueueSize: "MLOPS_LOG_QUEUE_SIZE",
  logBatchSize: "MLOPS_LOG_BATCH_SIZE",
  logFlushMs: "MLOPS_LOG_FLUSH_MS",
  rateLimit: "MLOPS_RATE_LIMIT_PER_MINUTE",
  trustedProxies: "MLOPS_TRUSTED_PROXIES",
  appInsights: "APPLICATIONINSIGHTS_CONNECTION_STRING",
  telemetryAuth: "MLOPS_TELEMETRY_AUTH",
  telemetrySampling: "MLOPS_TELEMETRY_SAMPLING",
  logLevel: "LOG_LEVEL",
  ...STORE_ENV,
  ...EDGE_ENV,
} as const;

/**
 * Variables that carry credentials: manifests should source them from a Secret (Key Vault), not
 * from plain values. The App Insights connection string is not one: its instrumentation key only
 * identifies the resource ("aren't considered secrets", learn.microsoft.com/azure/azure-monitor/
 * app/sdk-connection-string), and with local auth off ingestion takes an Entra token.
 */
export const SECRET_ENV_VARS: readonly string[] = [SERVING_ENV.cosmosKey];

/**
 * How telemetry authenticates to Application Insights: `local` sends with the connection string
 * alone (the instrumentation key), `entra` adds a token of the process's Azure identity, which a
 * component with local auth off requires (learn.microsoft.com/azure/azure-monitor/app/
 * azure-ad-authentication).
 */
export const TELEMETRY_AUTH_MODES = ["local", "entra"] as const;

export const SERVING_MODES = ["single", "split", "garch"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Defaults: the local `pnpm start` setup (split mode, embedded store). */
export const SERVING_DEFAULTS = {
  port: 8080,
  host: "0.0.0.0",
  /**
   * One process per pod: on Kubernetes the autoscaler adds pods. `auto` (one per core) is for a
   * machine the server has to itself, such as `pnpm start`.
   */
  workers: 1,
  mode: "split",
  experimentId: "default",
  /** Integer percent, the same scale as ingress-nginx `canary-weight` (0–100). */
  challengerWeight: 10,
  championModel: "classifier@champion",
  challengerModel: "classifier@challenger",
  artifactDir: ".mlops/artifacts",
  batchMaxRows: 1000,
  logQueueSize: 10_000,
  /**
   * Batches are written off the event loop (by a writer thread), so their
   * size only trades store round trips against how much an abrupt crash can lose: 500 kept up
   * with two workers at 32 and 128 connections on 2 cores where 100 fell behind (BENCHMARKS.md).
   */
  logBatchSize: 500,
  logFlushMs: 1000,
  /** 0 disables the per-client limit (the ingress limits first in the cloud). */
  rateLimitPerMinute: 0,
  telemetryAuth: "local",
  telemetrySampling: 0.1,
  logLevel: "info",
} as const;

/**
 * Longest the server's graceful stop may take after SIGTERM (draining requests, the final
 * prediction-log flush, closing telemetry and the store) before the process exits anyway. Not
 * configurable: Kubernetes sizes the pods' termination grace period from it.
 */
export const SHUTDOWN_GRACE_MS = 20_000;

/** The typed configuration the server runs with. */
export interface ServingConfig {
  readonly port: number;
  readonly host: string;
  /** Serving processes sharing the port (`auto`: one per core); see services/serving cluster.ts. */
  readonly workers: number | "auto";
  /**
   * `single`: this process serves `variant` (one Deployment per arm); `split`: both arms; `garch`:
   * the GARCH volatility service alone (its own contract, `garchModel` as the default model).
   */
  readonly mode: (typeof SERVING_MODES)[number];
  /** The arm this process serves; set exactly when `mode` is `single`. */
  readonly variant: ServedVariant | null;
  /**
   * `single` mode: the data plane that assigned the arm (the stack's traffic split), recorded with
   * every prediction; null when unknown (a process started outside a stack). Null in other modes.
   */
  readonly trafficSplit: TrafficSplit | null;
  readonly experimentId: string;
  /**
   * The challenger's percent (0–100, like `canary-weight`): of users in split mode, which assigns
   * by it; in single mode the split's weight in front, recorded with every prediction.
   */
  readonly challengerWeight: number;
  readonly championModel: ModelRef;
  readonly challengerModel: ModelRef;
  readonly garchModel: ModelRef | null;
  readonly store: StoreConfig;
  readonly artifactDir: string;
  readonly batchMaxRows: number;
  readonly predictionLog: {
    readonly queueSize: number;
    readonly batchSize: number;
    readonly flushIntervalMs: number;
  };
  readonly rateLimitPerMinute: number;
  /**
   * Addresses or CIDR ranges of the proxies in front of the server (the edge's gateway or ingress
   * pods). A request from one of them is the client's that `X-Forwarded-For` names last outside
   * the list, for the rate limit's count and the logs; empty: the peer's address, always.
   */
  readonly trustedProxies: readonly string[];
  /** Who may call the prediction routes, the mounted secrets, and what proxied requests reach. */
  readonly edge: EdgeConfig;
  readonly appInsights: {
    readonly connectionString: string | null;
    readonly auth: (typeof TELEMETRY_AUTH_MODES)[number];
    readonly samplingRatio: number;
  };
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

const IpSchema = z.union([z.ipv4(), z.ipv6()]);
/**
 * An IPv6 address's zone after '%' (`fe80::1%eth0`): the interface a link-local address is on, by
 * name (at most 15 characters, Linux's IFNAMSIZ less its NUL) or index.
 */
const IPV6_ZONE = /^(?<address>[^%]+)%[\w.-]{1,15}$/;
/**
 * IPv4 in the resolver's shorthand (inet_aton, which getaddrinfo and so Node's listen read): two
 * or three decimal numbers, the last filling the bytes the others leave (`127.1` is 127.0.0.1).
 * Octal (a leading 0) and hex parts are left out, as is a bare number: 010.1 is 8.0.0.1 to the
 * resolver, and HOST=8080 is a port.
 */
const SHORT_IPV4 = /^(?:0|[1-9]\d{0,9})(?:\.(?:0|[1-9]\d{0,9})){1,2}$/;
const isShortIpv4 = (host: string): boolean => {
  if (!SHORT_IPV4.test(host)) return false;
  const parts = host.split(".").map(Number);
  const last = parts.pop()!;
  return parts.every((part) => part <= 255) && last < 256 ** (4 - parts.length);
};
const isIp = (host: string): boolean => {
  const zoned = IPV6_ZONE.exec(host)?.groups?.address;
  if (zoned !== undefined) return z.ipv6().safeParse(zoned).success;
  return IpSchema.safeParse(host).success || isShortIpv4(host);
};
/**
 * A host name: dot-separated labels of 1-63 letters, digits, '-' (not at a label's ends) and '_'
 * (getaddrinfo resolves it, as in container names like app_web_1), 253 characters at most.
 */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[\dA-Za-z_](?:[\w-]{0,61}[\dA-Za-z_])?(?:\.[\dA-Za-z_](?:[\w-]{0,61}[\dA-Za-z_])?)*\.?$/;
/** A last label that is a number (`10.0.0.0.1`, `0x7f.0.0.1`): resolvers read such a name as IPv4. */
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$/i;

const HostSchema = z
  .string()
  .refine((host) => isIp(host) || HOST_NAME.test(host), {
    error:
      "must be a host name or IP address: IPv4 (0.0.0.0, or shorthand 127.1), IPv6 (::, fe80::1%eth0 with a zone) or dot-separated labels of letters, digits, '_' and '-' (not at a label's ends)",
    abort: true,
  })
  // A resolver would take 999.1.1.1 for an address and fail at listen with ENOTFOUND.
  .refine((host) => isIp(host) || !NUMERIC_LAST_LABEL.test(host), {
    error:
      "must be an IPv4 address of two to four decimal numbers, each from 0 to 255 but the last, which fills the remaining bytes (0.0.0.0, 127.1), or a host name whose last label is not a number",
  });

const PathSchema = z.string().min(1).max(1024);

/** Most serving processes one machine may run. */
export const MAX_WORKERS = 64;

const WorkersSchema = z.union(
  [
    z.literal("auto"),
    z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(MAX_WORKERS)),
  ],
  { error: `must be "auto" or an integer from 1 to ${MAX_WORKERS}` },
);

const ConnectionStringSchema = z
  .string()
  .max(4096)
  .regex(/(^|;)\s*InstrumentationKey=[^;]+/i, {
    error: "must be an Application Insights connection string containing InstrumentationKey=…",
  });

const E = SERVING_ENV;
const D = SERVING_DEFAULTS;

/**
 * The prediction API's A/B test settings. The GARCH service runs no experiment: in garch mode
 * the parser refuses them set, and the renderer leaves them out (the config holds the defaults).
 */
export const AB_TEST_ENV_VARS: readonly string[] = [
  E.experimentId,
  E.challengerWeight,
  E.championModel,
  E.challengerModel,
];

const DEFAULT_CHAMPION_MODEL = PinnedModelRefSchema.parse(D.championModel);
const DEFAULT_CHALLENGER_MODEL = PinnedModelRefSchema.parse(D.challengerModel);

/** Most entries `MLOPS_TRUSTED_PROXIES` takes: a proxy tier is a few ranges, not a firewall list. */
const MAX_TRUSTED_PROXIES = 32;

/** One trusted proxy: an IPv4 or IPv6 address, or a CIDR range of them (`10.244.0.0/16`). */
const ProxyAddressSchema = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
  error: "each entry must be an IP address or a CIDR range, such as 10.244.0.0/16 or fd00::/8",
});

const servingEnvShape = {
  [E.port]: intVar(D.port, 1, 65_535),
  [E.host]: textVar(HostSchema, D.host),
  [E.workers]: textVar(WorkersSchema, D.workers as number | "auto"),
  [E.mode]: enumVar(SERVING_MODES, D.mode),
  [E.variant]: textVar(ServedVariantSchema, null),
  [E.trafficSplit]: textVar(z.enum(TRAFFIC_SPLITS), null),
  // The A/B settings read as null when unset, so garch mode can refuse them set; the
  // transform gives their defaults.
  [E.experimentId]: textVar(NameSchema, null),
  [E.challengerWeight]: intVar(null, 0, 100),
  [E.championModel]: textVar(PinnedModelRefSchema, null),
  [E.challengerModel]: textVar(PinnedModelRefSchema, null),
  [E.garchModel]: textVar(PinnedModelRefSchema, null),
  [E.artifactDir]: textVar(PathSchema, D.artifactDir),
  [E.batchMaxRows]: intVar(D.batchMaxRows, 1, 10_000),
  [E.logQueueSize]: intVar(D.logQueueSize, 1, 10_000_000),
  [E.logBatchSize]: intVar(D.logBatchSize, 1, 100_000),
  [E.logFlushMs]: intVar(D.logFlushMs, 10, 600_000),
  [E.rateLimit]: intVar(D.rateLimitPerMinute, 0, 100_000_000),
  [E.trustedProxies]: listVar(ProxyAddressSchema, MAX_TRUSTED_PROXIES),
  [E.appInsights]: textVar(ConnectionStringSchema, null),
  [E.telemetryAuth]: enumVar(TELEMETRY_AUTH_MODES, D.telemetryAuth),
  [E.telemetrySampling]: numberVar(D.telemetrySampling, 0, 1),
  [E.logLevel]: enumVar(LOG_LEVELS, D.logLevel),
  ...storeEnvShape,
  ...edgeEnvShape,
};

/** The variables the server reads, in the order SERVING_ENV lists them. */
const SERVED_VARIABLES: readonly string[] = Object.values(E);

/**
 * Env record → `ServingConfig`; issues are reported on the variable that broke the rule, and on
 * any `MLOPS_` variable no platform process reads.
 */
export const ServingEnvSchema = z
  .looseObject(servingEnvShape)
  .superRefine(
    (env, ctx) => {
      // A blank variable counts as unset, an unknown one too.
      const set = Object.keys(env).filter((name) => {
        const value = (env as Record<string, unknown>)[name];
        return !(typeof value === "string" && value.trim() === "");
      });
      for (const { path, message } of unknownPlatformVariables(set, SERVED_VARIABLES)) {
        ctx.addIssue({ code: "custom", path: [path], message });
      }
    },
    // Also beside bad values: a misspelt name may be why another variable reads wrong.
    { when: ({ value }) => typeof value === "object" && value !== null },
  )
  .transform((env, ctx): ServingConfig => {
    const mode = env[E.mode];
    const variant = env[E.variant];
    if (mode === "single" && variant === null) {
      ctx.addIssue({
        code: "custom",
        path: [E.variant],
        message: "is required when MLOPS_MODE is 'single' (champion or challenger)",
      });
    }
    if (mode === "split" && variant !== null) {
      ctx.addIssue({
        code: "custom",
        path: [E.variant],
        message: "must be unset when MLOPS_MODE is 'split' (one process serves both variants)",
      });
    }
    if (mode === "garch" && variant !== null) {
      ctx.addIssue({
        code: "custom",
        path: [E.variant],
        message: "must be unset when MLOPS_MODE is 'garch' (the GARCH service has no A/B arms)",
      });
    }
    if (mode === "garch") {
      for (const name of AB_TEST_ENV_VARS.filter((n) => env[n as keyof typeof env] !== null)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message:
            "must be unset when MLOPS_MODE is 'garch': only the prediction API reads it, and the GARCH service runs no experiment",
        });
      }
    }
    if (mode !== "single" && env[E.trafficSplit] !== null) {
      ctx.addIssue({
        code: "custom",
        path: [E.trafficSplit],
        message: `must be unset when MLOPS_MODE is '${mode}' (only a single-arm process sits behind a traffic split)`,
      });
    }
    if (mode === "garch" && env[E.garchModel] === null) {
      ctx.addIssue({
        code: "custom",
        path: [E.garchModel],
        message: "is required when MLOPS_MODE is 'garch': the model /predict serves by default",
      });
    }
    if (env[E.logBatchSize] > env[E.logQueueSize]) {
      ctx.addIssue({
        code: "custom",
        path: [E.logBatchSize],
        message: `must not exceed ${E.logQueueSize}`,
      });
    }
    const store = storeConfigFromEnv(env, ctx);
    const edge = edgeConfigFromEnv(env, ctx);
    return {
      port: env[E.port],
      host: env[E.host] as string,
      workers: env[E.workers],
      mode,
      variant,
      trafficSplit: env[E.trafficSplit],
      experimentId: env[E.experimentId] ?? D.experimentId,
      challengerWeight: env[E.challengerWeight] ?? D.challengerWeight,
      championModel: env[E.championModel] ?? DEFAULT_CHAMPION_MODEL,
      challengerModel: env[E.challengerModel] ?? DEFAULT_CHALLENGER_MODEL,
      garchModel: env[E.garchModel],
      store,
      artifactDir: env[E.artifactDir] as string,
      batchMaxRows: env[E.batchMaxRows],
      predictionLog: {
        queueSize: env[E.logQueueSize],
        batchSize: env[E.logBatchSize],
        flushIntervalMs: env[E.logFlushMs],
      },
      rateLimitPerMinute: env[E.rateLimit],
      trustedProxies: env[E.trustedProxies],
      edge,
      appInsights: {
        connectionString: env[E.appInsights],
        auth: env[E.telemetryAuth],
        samplingRatio: env[E.telemetrySampling],
      },
      logLevel: env[E.logLevel],
    };
  });

/**
 * Parse the serving config from a `process.env`-like record. Throws `ContractValidationError`
 * whose message names each bad VARIABLE and its rule, e.g. `PORT: Too big: expected number to
 * be <=65535`.
 */
export function parseServingConfig(env: EnvRecord): ServingConfig {
  return parseOrThrow(ServingEnvSchema, env, "serving config");
}

/**
 * The folder new models' files go under: `MLOPS_ARTIFACT_DIR`, else `.mlops/artifacts`. `pnpm
 * start` and the `mlops` commands that write models read it alike, as they read `MLOPS_STORE`.
 */
export function parseArtifactDir(env: EnvRecord): string {
  const shape = { [E.artifactDir]: servingEnvShape[E.artifactDir] };
  return parseOrThrow(z.object(shape), env, "artifact directory")[E.artifactDir];
}

/**
 * The env vars for `config`: every setting explicit (defaults included, so a pod's environment
 * documents itself); unset optionals are omitted, and in garch mode the A/B test settings
 * (`AB_TEST_ENV_VARS`), which the GARCH service refuses.
 */
export function renderServingEnv(config: ServingConfig): Record<string, string> {
  const abTest: Record<string, string> =
    config.mode === "garch"
      ? {}
      : {
          [E.experimentId]: config.experimentId,
          [E.challengerWeight]: String(config.challengerWeight),
          [E.championModel]: formatModelRef(config.championModel),
          [E.challengerModel]: formatModelRef(config.challengerModel),
        };
  const env: Record<string, string> = {
    [E.port]: String(config.port),
    [E.host]: config.host,
    [E.workers]: String(config.workers),
    [E.mode]: config.mode,
    ...abTest,
    [E.artifactDir]: config.artifactDir,
    [E.batchMaxRows]: String(config.batchMaxRows),
    [E.logQueueSize]: String(config.predictionLog.queueSize),
    [E.logBatchSize]: String(config.predictionLog.batchSize),
    [E.logFlushMs]: String(config.predictionLog.flushIntervalMs),
    [E.rateLimit]: String(config.rateLimitPerMinute),
    [E.telemetryAuth]: config.appInsights.auth,
    [E.telemetrySampling]: String(config.appInsights.samplingRatio),
    [E.logLevel]: config.logLevel,
    ...renderStoreEnv(config.store),
    ...renderEdgeEnv(config.edge),
  };
  if (config.variant !== null) env[E.variant] = config.variant;
  if (config.trustedProxies.length > 0) env[E.trustedProxies] = config.trustedProxies.join(",");
  if (config.trafficSplit !== null) env[E.trafficSplit] = config.trafficSplit;
  if (config.garchModel !== null) env[E.garchModel] = formatModelRef(config.garchModel);
  if (config.appInsights.connectionString !== null) {
    env[E.appInsights] = config.appInsights.connectionString;
  }
  return env;
}

/**
 * What put this process's predictions on their arm: its own hash of `user_id` in `split` mode;
 * in `single` mode the traffic split it was told it sits behind, with the weight it was given
 * (`unknown` without one).
 */
export function assignmentOf(
  config: Pick<ServingConfig, "mode" | "trafficSplit" | "challengerWeight">,
): AssignmentConfig {
  if (config.mode === "split") {
    return { assignment: "user-hash", challenger_weight: config.challengerWeight };
  }
  if (config.mode === "single" && config.trafficSplit !== null) {
    return {
      assignment: config.trafficSplit === "gateway" ? "gateway-weight" : "nginx-canary-weight",
      challenger_weight: config.challengerWeight,
    };
  }
  return { assignment: "unknown", challenger_weight: null };
}
