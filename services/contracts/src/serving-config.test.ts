import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EdgeConfig } from "./edge-config.js";
import { ContractValidationError } from "./errors.js";
import type { ModelRef } from "./model-ref.js";
import {
  AB_TEST_ENV_VARS,
  assignmentOf,
  parseServingConfig,
  renderServingEnv,
  SERVING_DEFAULTS,
  type ServingConfig,
} from "./serving-config.js";
import { parseStoreConfig, renderStoreEnv, type StoreConfig } from "./store-config.js";

function errorOf(fn: () => unknown): ContractValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ContractValidationError) return error;
    throw error;
  }
  throw new Error("expected a ContractValidationError");
}

describe("parseServingConfig", () => {
  it("gives the local defaults for an empty environment", () => {
    const config = parseServingConfig({});
    expect(config.port).toBe(8080);
    expect(config.mode).toBe("split");
    expect(config.variant).toBeNull();
    expect(config.challengerWeight).toBe(SERVING_DEFAULTS.challengerWeight);
    expect(config.championModel).toEqual({
      name: "classifier",
      selector: "alias",
      alias: "champion",
    });
    expect(config.store).toEqual({ kind: "sqlite", path: ".mlops/platform.db" });
    expect(config.edge).toEqual({
      auth: { mode: "none" },
      secretsDir: null,
      secretsRefreshMs: 30_000,
      opsInternalOnly: false,
    });
    expect(config.appInsights).toEqual({
      connectionString: null,
      auth: "local",
      samplingRatio: 0.1,
    });
  });

  it("reads the trusted proxies as a list of addresses and ranges, none by default", () => {
    expect(parseServingConfig({}).trustedProxies).toEqual([]);
    expect(
      parseServingConfig({ MLOPS_TRUSTED_PROXIES: "10.244.0.0/16, 127.0.0.1,fd00::/8" })
        .trustedProxies,
    ).toEqual(["10.244.0.0/16", "127.0.0.1", "fd00::/8"]);
  });

  it.each([
    ["10.0.0.0/33", "IP address or a CIDR range"],
    ["gateway.internal", "IP address or a CIDR range"],
    ["10.0.0.1:8080", "IP address or a CIDR range"],
    [",,", "lists nothing"],
  ])("refuses MLOPS_TRUSTED_PROXIES=%j, naming the variable", (value, rule) => {
    expect(() => parseServingConfig({ MLOPS_TRUSTED_PROXIES: value })).toThrow(
      new RegExp(`MLOPS_TRUSTED_PROXIES.*${rule}`),
    );
  });

  it("treats blank variables as unset", () => {
    expect(parseServingConfig({ PORT: "  ", MLOPS_VARIANT: "" }).port).toBe(8080);
    // An unknown name too: blank, it sets nothing to misread.
    expect(parseServingConfig({ MLOPS_FOO: "", MLOPS_BAR: " " }).port).toBe(8080);
  });

  it.each([
    [{ PORT: "80a" }, "PORT", "integer"],
    [{ PORT: "70000" }, "PORT", "65535"],
    [{ MLOPS_CHALLENGER_WEIGHT: "150" }, "MLOPS_CHALLENGER_WEIGHT", "100"],
    [{ MLOPS_CHALLENGER_WEIGHT: "12.5" }, "MLOPS_CHALLENGER_WEIGHT", "integer"],
    [{ MLOPS_MODE: "both" }, "MLOPS_MODE", "single"],
    [{ MLOPS_MODE: "single" }, "MLOPS_VARIANT", "required"],
    [{ MLOPS_VARIANT: "champion" }, "MLOPS_VARIANT", "unset"],
    [{ MLOPS_MODE: "garch" }, "MLOPS_GARCH_MODEL", "required"],
    [
      { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1", MLOPS_VARIANT: "champion" },
      "MLOPS_VARIANT",
      "no A/B arms",
    ],
    [{ MLOPS_CHAMPION_MODEL: "classifier" }, "MLOPS_CHAMPION_MODEL", "pin"],
    [{ MLOPS_CHAMPION_MODEL: "bad name@1" }, "MLOPS_CHAMPION_MODEL", "model name"],
    [{ MLOPS_STORE: "postgres://x" }, "MLOPS_STORE", "sqlite:<path>"],
    [{ MLOPS_STORE: "cosmos" }, "COSMOS_ENDPOINT", "required"],
    [{ MLOPS_STORE: "cosmos", COSMOS_ENDPOINT: "ftp://x" }, "COSMOS_ENDPOINT", "http"],
    [{ MLOPS_API_KEY_SHA256: "abc" }, "MLOPS_API_KEY_SHA256[0]", "SHA-256"],
    [{ MLOPS_API_KEY_SHA256: ",," }, "MLOPS_API_KEY_SHA256", "lists nothing"],
    [{ MLOPS_SECRETS_DIR: "/mnt/secrets" }, "MLOPS_AUTH", "required when MLOPS_SECRETS_DIR"],
    [{ MLOPS_CHALENGER_WEIGHT: "50" }, "MLOPS_CHALENGER_WEIGHT", "MLOPS_CHALLENGER_WEIGHT?"],
    [{ MLOPS_WORKER: "4" }, "MLOPS_WORKER", "did you mean MLOPS_WORKERS?"],
    [{ MLOPS_PORT: "9000" }, "MLOPS_PORT", "did you mean PORT?"],
    [{ MLOPS_QUUX: "1" }, "MLOPS_QUUX", "is not a variable of the platform"],
    [{ MLOPS_AUTH: "api-keys" }, "MLOPS_AUTH", "MLOPS_SECRETS_DIR"],
    [{ MLOPS_AUTH: "entra" }, "MLOPS_ENTRA_TENANT_ID", "required"],
    [
      { MLOPS_AUTH: "none", MLOPS_API_KEY_SHA256: "a".repeat(64) },
      "MLOPS_API_KEY_SHA256",
      "api-keys",
    ],
    [{ MLOPS_ENTRA_APP_ROLE: "Predictions.Invoke" }, "MLOPS_ENTRA_APP_ROLE", "entra"],
    [
      {
        MLOPS_AUTH: "entra",
        MLOPS_ENTRA_TENANT_ID: "00000000-0000-4000-8000-0000000000aa",
        MLOPS_ENTRA_AUDIENCE: "api://mlops",
        MLOPS_ENTRA_APP_ROLE: "Predictions.Invoke",
        MLOPS_ENTRA_JWKS_URL: "http://keys.example/jwks",
      },
      "MLOPS_ENTRA_JWKS_URL",
      "https",
    ],
    [{ MLOPS_OPS_INTERNAL_ONLY: "yes" }, "MLOPS_OPS_INTERNAL_ONLY", "true"],
    [{ MLOPS_TELEMETRY_SAMPLING: "2" }, "MLOPS_TELEMETRY_SAMPLING", "1"],
    [{ MLOPS_TELEMETRY_AUTH: "key" }, "MLOPS_TELEMETRY_AUTH", "entra"],
    [
      { APPLICATIONINSIGHTS_CONNECTION_STRING: "x" },
      "APPLICATIONINSIGHTS_CONNECTION_STRING",
      "InstrumentationKey",
    ],
    [
      { MLOPS_LOG_BATCH_SIZE: "600", MLOPS_LOG_QUEUE_SIZE: "500" },
      "MLOPS_LOG_BATCH_SIZE",
      "MLOPS_LOG_QUEUE_SIZE",
    ],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", "info"],
    [{ HOST: "999.1.1.1" }, "HOST", "each from 0 to 255"],
    [{ HOST: "127.0.0.01" }, "HOST", "IPv4 address"],
    [{ HOST: "1.2.3.4.5" }, "HOST", "two to four decimal numbers"],
    [{ HOST: "127.16777216" }, "HOST", "fills the remaining bytes"],
    [{ HOST: "010.1" }, "HOST", "decimal numbers"],
    [{ HOST: "8080" }, "HOST", "two to four"],
    [{ HOST: "api internal" }, "HOST", "host name or IP address"],
    [{ HOST: "-foo" }, "HOST", "host name or IP address"],
    [{ HOST: "localhost:80" }, "HOST", "IPv6 (::"],
    [{ HOST: "http://x" }, "HOST", "host name or IP address"],
    [{ HOST: "1:2:3" }, "HOST", "host name or IP address"],
    [{ HOST: "fe80::1%" }, "HOST", "with a zone"],
    [{ HOST: "fe80::1%eth 0" }, "HOST", "with a zone"],
    [{ HOST: "1.2.3.4%eth0" }, "HOST", "host name or IP address"],
    [{ HOST: "0x7f.0.0.1" }, "HOST", "last label is not a number"],
    [
      { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1", MLOPS_EXPERIMENT_ID: "exp" },
      "MLOPS_EXPERIMENT_ID",
      "the GARCH service runs no experiment",
    ],
    [
      { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1", MLOPS_CHALLENGER_WEIGHT: "10" },
      "MLOPS_CHALLENGER_WEIGHT",
      "only the prediction API reads it",
    ],
    [
      { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1", MLOPS_CHAMPION_MODEL: "c@1" },
      "MLOPS_CHAMPION_MODEL",
      "must be unset when MLOPS_MODE is 'garch'",
    ],
    [
      { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1", MLOPS_CHALLENGER_MODEL: "c@2" },
      "MLOPS_CHALLENGER_MODEL",
      "no experiment",
    ],
    [{ MLOPS_WORKERS: "many" }, "MLOPS_WORKERS", "auto"],
    [{ MLOPS_WORKERS: "0" }, "MLOPS_WORKERS", ">=1"],
    [{ MLOPS_WORKERS: "65" }, "MLOPS_WORKERS", "<=64"],
    [{ MLOPS_TRAFFIC_SPLIT: "gateway" }, "MLOPS_TRAFFIC_SPLIT", "single-arm"],
    [
      { MLOPS_MODE: "single", MLOPS_VARIANT: "champion", MLOPS_TRAFFIC_SPLIT: "istio" },
      "MLOPS_TRAFFIC_SPLIT",
      "nginx-canary",
    ],
  ])("rejects %o naming %s", (env, variable, rule) => {
    const error = errorOf(() => parseServingConfig(env));
    const issue = error.issues.find((i) => i.path === variable);
    expect(issue, error.message).toBeDefined();
    expect(issue?.message).toContain(rule);
    expect(error.message).toContain(`${variable}: `);
  });

  // Each of these is what Node's server.listen takes (a zone, the resolver's shorthand IPv4, a
  // name with '_' that getaddrinfo resolves).
  it.each([
    "::",
    "::1",
    "fe80::1",
    "127.0.0.1",
    "localhost",
    "api.internal",
    "node-1.svc",
    "fe80::1%eth0",
    "::1%lo",
    "fe80::1%2",
    "127.1",
    "127.0.1",
    "10.0.0",
    "10.16777215",
    "api_internal",
    "_svc.app_web_1.local",
    "localhost.",
  ])("accepts HOST=%s", (host) => expect(parseServingConfig({ HOST: host }).host).toBe(host));

  it("gives the GARCH service the A/B defaults it never reads, and blank A/B settings count as unset", () => {
    const garch = { MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1" };
    const config = parseServingConfig({ ...garch, MLOPS_CHALLENGER_WEIGHT: " " });
    expect(config).toMatchObject({
      experimentId: SERVING_DEFAULTS.experimentId,
      challengerWeight: SERVING_DEFAULTS.challengerWeight,
      championModel: parseServingConfig({}).championModel,
      challengerModel: parseServingConfig({}).challengerModel,
    });
  });

  it("keeps the A/B settings in single and split mode", () => {
    const ab = {
      MLOPS_EXPERIMENT_ID: "exp",
      MLOPS_CHALLENGER_WEIGHT: "30",
      MLOPS_CHAMPION_MODEL: "c@1",
      MLOPS_CHALLENGER_MODEL: "c@2",
    };
    for (const mode of [{}, { MLOPS_MODE: "single", MLOPS_VARIANT: "champion" }]) {
      expect(parseServingConfig({ ...mode, ...ab })).toMatchObject({
        experimentId: "exp",
        challengerWeight: 30,
        championModel: { name: "c", selector: "version", version: 1 },
        challengerModel: { name: "c", selector: "version", version: 2 },
      });
    }
  });

  it("accepts the MLOPS_ variables the CLIs read beside the server's", () => {
    expect(() =>
      parseServingConfig({ MLOPS_SMOKE_API_KEY: "k", MLOPS_MODEL_OUTPUT_DIR: "/out" }),
    ).not.toThrow();
  });

  it("reads the mounted secrets without API keys only when told (MLOPS_AUTH=none)", () => {
    const config = parseServingConfig({ MLOPS_AUTH: "none", MLOPS_SECRETS_DIR: "/mnt/secrets" });
    expect(config.edge).toMatchObject({ auth: { mode: "none" }, secretsDir: "/mnt/secrets" });
  });

  it("reports every bad variable at once", () => {
    const error = errorOf(() =>
      parseServingConfig({ PORT: "0", LOG_LEVEL: "loud", MLOPS_CHALENGER_WEIGHT: "50" }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      "LOG_LEVEL",
      "MLOPS_CHALENGER_WEIGHT",
      "PORT",
    ]);
  });

  it("derives what assigns the arms from the mode and the traffic split", () => {
    const single = {
      MLOPS_MODE: "single",
      MLOPS_VARIANT: "challenger",
      MLOPS_CHALLENGER_WEIGHT: "30",
    };
    expect(assignmentOf(parseServingConfig({ MLOPS_CHALLENGER_WEIGHT: "30" }))).toEqual({
      assignment: "user-hash",
      challenger_weight: 30,
    });
    expect(assignmentOf(parseServingConfig({ ...single, MLOPS_TRAFFIC_SPLIT: "gateway" }))).toEqual(
      { assignment: "gateway-weight", challenger_weight: 30 },
    );
    expect(
      assignmentOf(parseServingConfig({ ...single, MLOPS_TRAFFIC_SPLIT: "nginx-canary" })),
    ).toEqual({ assignment: "nginx-canary-weight", challenger_weight: 30 });
    // A single-arm process nobody told about its edge cannot say who chose its arm.
    expect(assignmentOf(parseServingConfig(single))).toEqual({
      assignment: "unknown",
      challenger_weight: null,
    });
  });

  it("reads a cosmos store with and without a key", () => {
    const env = { MLOPS_STORE: "cosmos", COSMOS_ENDPOINT: "https://acct.documents.azure.com:443/" };
    expect(parseStoreConfig(env)).toEqual({
      kind: "cosmos",
      endpoint: "https://acct.documents.azure.com:443/",
      database: "mlops",
      key: null,
    });
    expect(parseStoreConfig({ ...env, COSMOS_KEY: "k" })).toMatchObject({ key: "k" });
  });

  it("leaves COSMOS_ variables alone unless MLOPS_STORE chooses Cosmos DB", () => {
    // They are Azure's sample names: a shell or an Azure DevOps job exports them for other tools.
    const cosmos = {
      COSMOS_ENDPOINT: "https://acct.documents.azure.com:443/",
      COSMOS_KEY: "k",
      COSMOS_DATABASE: "other",
    };
    expect(parseServingConfig(cosmos).store).toEqual(parseServingConfig({}).store);
    expect(parseStoreConfig(cosmos)).toEqual(parseStoreConfig({}));
  });
});

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
const alias = name.filter((a) => a !== "latest" && !/^v\d+$/.test(a));
const modelRef: fc.Arbitrary<ModelRef> = fc.oneof(
  fc.record({
    name,
    selector: fc.constant("version" as const),
    version: fc.integer({ min: 1, max: 1_000_000 }),
  }),
  fc.record({ name, selector: fc.constant("alias" as const), alias }),
);
const path = fc.stringMatching(/^[A-Za-z0-9_./-]{1,40}$/);
const storeConfig: fc.Arbitrary<StoreConfig> = fc.oneof(
  fc.record({ kind: fc.constant("sqlite" as const), path }),
  fc.record({
    kind: fc.constant("cosmos" as const),
    endpoint: fc.constantFrom("https://acct.documents.azure.com:443/", "http://127.0.0.1:8081/"),
    database: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/),
    key: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{1,40}$/), { nil: null }),
  }),
);
const sha = fc.stringMatching(/^[0-9a-f]{64}$/);

/** Every shape the edge settings take. */
const edgeConfig: fc.Arbitrary<EdgeConfig> = fc.record({
  auth: fc.oneof(
    fc.constant({ mode: "none" as const }),
    fc.record({
      mode: fc.constant("api-keys" as const),
      sha256: fc.array(sha, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      mode: fc.constant("entra" as const),
      tenantId: fc.uuid(),
      audience: fc.constantFrom("api://mlops-predict", "00000000-0000-4000-8000-00000000c11e"),
      appRole: fc.constantFrom("Predictions.Invoke", "predict"),
      jwksUrl: fc.constantFrom(
        "https://login.microsoftonline.com/t/discovery/v2.0/keys",
        "http://127.0.0.1:9/jwks",
      ),
    }),
  ),
  secretsDir: fc.option(fc.constantFrom("/mnt/secrets", "secrets"), { nil: null }),
  secretsRefreshMs: fc.integer({ min: 1000, max: 3_600_000 }),
  opsInternalOnly: fc.boolean(),
});

/** The A/B test settings of `config`. */
const abTestOf = ({
  experimentId,
  challengerWeight,
  championModel,
  challengerModel,
}: Pick<
  ServingConfig,
  "experimentId" | "challengerWeight" | "championModel" | "challengerModel"
>) => ({
  experimentId,
  challengerWeight,
  championModel,
  challengerModel,
});

const servingConfig: fc.Arbitrary<ServingConfig> = fc
  .record({
    port: fc.integer({ min: 1, max: 65_535 }),
    host: fc.constantFrom("0.0.0.0", "127.0.0.1", "::", "api.internal"),
    /** null: split mode; "garch": the GARCH service (which needs a GARCH model); else single. */
    single: fc.option(
      fc.constantFrom("champion" as const, "challenger" as const, "garch" as const),
      {
        nil: null,
      },
    ),
    trafficSplit: fc.option(fc.constantFrom("gateway" as const, "nginx-canary" as const), {
      nil: null,
    }),
    experimentId: name,
    challengerWeight: fc.integer({ min: 0, max: 100 }),
    championModel: modelRef,
    challengerModel: modelRef,
    garchModel: fc.option(modelRef, { nil: null }),
    store: storeConfig,
    artifactDir: path,
    batchMaxRows: fc.integer({ min: 1, max: 10_000 }),
    queueSize: fc.integer({ min: 1000, max: 1_000_000 }),
    batchSize: fc.integer({ min: 1, max: 1000 }),
    flushIntervalMs: fc.integer({ min: 10, max: 600_000 }),
    rateLimitPerMinute: fc.integer({ min: 0, max: 1_000_000 }),
    trustedProxies: fc.array(
      fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("10.244.0.0/16", "fd00::/8")),
      { maxLength: 4 },
    ),
    edge: edgeConfig,
    connectionString: fc.option(
      fc.uuid().map((u) => `InstrumentationKey=${u};IngestionEndpoint=https://127.0.0.1:9/`),
      { nil: null },
    ),
    telemetryAuth: fc.constantFrom("local" as const, "entra" as const),
    samplingRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    workers: fc.oneof(fc.constant("auto" as const), fc.integer({ min: 1, max: 64 })),
    logLevel: fc.constantFrom(
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
      "silent" as const,
    ),
  })
  .map(
    (r): ServingConfig => ({
      port: r.port,
      host: r.host,
      workers: r.workers,
      mode: r.single === null ? "split" : r.single === "garch" ? "garch" : "single",
      variant: r.single === "garch" ? null : r.single,
      trafficSplit: r.single === null || r.single === "garch" ? null : r.trafficSplit,
      // The GARCH service runs no experiment: its config holds the A/B defaults (the parser's).
      ...abTestOf(r.single === "garch" ? parseServingConfig({}) : r),
      garchModel: r.single === "garch" ? (r.garchModel ?? r.championModel) : r.garchModel,
      store: r.store,
      artifactDir: r.artifactDir,
      batchMaxRows: r.batchMaxRows,
      predictionLog: {
        queueSize: r.queueSize,
        batchSize: r.batchSize,
        flushIntervalMs: r.flushIntervalMs,
      },
      rateLimitPerMinute: r.rateLimitPerMinute,
      trustedProxies: r.trustedProxies,
      edge: r.edge,
      appInsights: {
        connectionString: r.connectionString,
        auth: r.telemetryAuth,
        samplingRatio: r.samplingRatio,
      },
      logLevel: r.logLevel,
    }),
  );

describe("renderServingEnv", () => {
  it("renders exactly what the parser reads back", () => {
    fc.assert(
      fc.property(servingConfig, (config) => {
        expect(parseServingConfig(renderServingEnv(config))).toEqual(config);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves the A/B test settings out of the GARCH service's environment only", () => {
    const garch = parseServingConfig({ MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "g@1" });
    const garchEnv = renderServingEnv(garch);
    for (const name of AB_TEST_ENV_VARS) expect(garchEnv).not.toHaveProperty(name);
    expect(parseServingConfig(garchEnv)).toEqual(garch);
    const splitEnv = renderServingEnv(parseServingConfig({}));
    for (const name of AB_TEST_ENV_VARS) expect(splitEnv).toHaveProperty(name);
  });

  it("renders only string values with env var names", () => {
    const env = renderServingEnv(parseServingConfig({}));
    for (const [key, value] of Object.entries(env)) {
      expect(key).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(typeof value).toBe("string");
    }
    expect(env.PORT).toBe("8080");
    expect(env.MLOPS_STORE).toBe("sqlite:.mlops/platform.db");
  });

  it("round-trips store settings alone", () => {
    fc.assert(
      fc.property(storeConfig, (config) => {
        expect(parseStoreConfig(renderStoreEnv(config))).toEqual(config);
      }),
    );
  });
});
