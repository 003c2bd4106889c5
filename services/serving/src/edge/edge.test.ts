/**
 * The edge inside the app: API keys mounted from Key Vault (two at once, rotated without a
 * restart), Entra ID bearer tokens against a local key server, the canary override with and
 * without a trust token, and the internal-only operational paths. What is refused is never
 * predicted, logged or counted.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, json, openFixture, ROW } from "../../test-support/index.js";

let fixture: Fixture;
let secretsDir: string;
beforeAll(async () => {
  fixture = await openFixture();
  secretsDir = await mkdtemp(join(tmpdir(), "mlops-secrets-"));
  await writeFile(join(secretsDir, "api-key-1"), "key-one\n");
  await writeFile(join(secretsDir, "api-key-2"), "key-two");
  await writeFile(join(secretsDir, "canary-token-1"), "canary-trust");
});
afterAll(async () => {
  await fixture.dispose();
  await rm(secretsDir, { recursive: true, force: true });
});

/** Predictions the app served into its A/B data: counted, and queued for the prediction log. */
async function abCounts(app: FastifyInstance) {
  const requests = await app.metrics.requests.get();
  const overrides = await app.metrics.overrides.get();
  const { depth, written, dropped } = app.predictionLog.stats;
  const sum = (values: { value: number }[]) => values.reduce((t, v) => t + v.value, 0);
  return {
    counted: sum(requests.values),
    logged: depth + written + dropped,
    overrides: sum(overrides.values),
  };
}

const predict = (headers: Record<string, string> = {}) => ({
  ...json({ features: ROW, user_id: "user-7" }),
  url: "/predict",
  headers: { "content-type": "application/json", ...headers },
});

describe("API keys from the mounted secrets", () => {
  it("accept both keys, refuse a missing or wrong one with a challenge, and log nothing refused", async () => {
    const app = await build(fixture, { MLOPS_AUTH: "api-keys", MLOPS_SECRETS_DIR: secretsDir });
    for (const key of ["key-one", "key-two"]) {
      expect((await app.inject(predict({ "x-api-key": key }))).statusCode).toBe(200);
    }
    const before = await abCounts(app);
    const refused: Record<string, string>[] = [
      {},
      { "x-api-key": "key-three" },
      { "x-api-key": "x".repeat(9000) },
    ];
    for (const headers of refused) {
      const res = await app.inject(predict(headers));
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe("UNAUTHORIZED");
      expect(res.headers["www-authenticate"]).toBe(
        'ApiKey realm="predictions", header="x-api-key"',
      );
    }
    expect(await abCounts(app)).toEqual(before);
  });

  it("take a rotated key on the next read, and refuse the revoked one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mlops-rotate-"));
    await writeFile(join(dir, "api-key-1"), "old-key");
    await writeFile(join(dir, "api-key-2"), "other-key");
    const app = await build(fixture, {
      MLOPS_AUTH: "api-keys",
      MLOPS_SECRETS_DIR: dir,
      MLOPS_SECRETS_REFRESH_MS: "3600000",
    });
    expect((await app.inject(predict({ "x-api-key": "old-key" }))).statusCode).toBe(200);
    // Key Vault got a new version; the CSI driver rewrote the file.
    await writeFile(join(dir, "api-key-1"), "new-key");
    await app.edgeSecrets.refresh();
    expect((await app.inject(predict({ "x-api-key": "old-key" }))).statusCode).toBe(401);
    expect((await app.inject(predict({ "x-api-key": "new-key" }))).statusCode).toBe(200);
    // The other key served throughout: clients move between keys without downtime.
    expect((await app.inject(predict({ "x-api-key": "other-key" }))).statusCode).toBe(200);
    await rm(dir, { recursive: true, force: true });
  });

  it("refuse to start with no key at all", async () => {
    const empty = await mkdtemp(join(tmpdir(), "mlops-empty-"));
    await expect(
      build(fixture, { MLOPS_AUTH: "api-keys", MLOPS_SECRETS_DIR: empty }),
    ).rejects.toThrow(/holds no api-key-\* file/);
    await rm(empty, { recursive: true, force: true });
  });

  it("accept configured hashes too", async () => {
    const hash = createHash("sha256").update("hashed-key").digest("hex");
    const app = await build(fixture, { MLOPS_API_KEY_SHA256: hash });
    expect((await app.inject(predict({ "x-api-key": "hashed-key" }))).statusCode).toBe(200);
    expect((await app.inject(predict({ "x-api-key": "key-one" }))).statusCode).toBe(401);
  });
});

describe("Entra ID bearer tokens", () => {
  const tenant = "00000000-0000-4000-8000-0000000000aa";
  const audience = "api://mlops-predict";
  let keys: Server;
  let jwksUrl: string;
  let sign: (
    claims: Record<string, unknown>,
    options?: { key?: "other"; alg?: string },
  ) => Promise<string>;

  beforeAll(async () => {
    const signing = await generateKeyPair("RS256");
    const other = await generateKeyPair("RS256");
    const jwk: JWK = {
      ...(await exportJWK(signing.publicKey)),
      kid: "k1",
      alg: "RS256",
      use: "sig",
    };
    keys = createServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => keys.listen(0, "127.0.0.1", r));
    const address = keys.address() as { port: number };
    jwksUrl = `http://127.0.0.1:${address.port}/discovery/v2.0/keys`;
    sign = (claims, options = {}) =>
      new SignJWT({
        iss: `https://login.microsoftonline.com/${tenant}/v2.0`,
        aud: audience,
        tid: tenant,
        roles: ["Predictions.Invoke"],
        ...claims,
      })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuedAt()
        .setExpirationTime(typeof claims.exp === "number" ? claims.exp : "10m")
        .sign(options.key === "other" ? other.privateKey : signing.privateKey);
  });
  afterAll(() => new Promise<void>((r) => keys.close(() => r())));

  const entraEnv = () => ({
    MLOPS_AUTH: "entra",
    MLOPS_ENTRA_TENANT_ID: tenant,
    MLOPS_ENTRA_AUDIENCE: audience,
    MLOPS_ENTRA_APP_ROLE: "Predictions.Invoke",
    MLOPS_ENTRA_JWKS_URL: jwksUrl,
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("admit a token of the tenant, for the API, with the app role (v2.0 and v1.0 issuers)", async () => {
    const app = await build(fixture, entraEnv());
    expect((await app.inject(predict(bearer(await sign({}))))).statusCode).toBe(200);
    const v1 = await sign({ iss: `https://sts.windows.net/${tenant}/` });
    expect((await app.inject(predict(bearer(v1)))).statusCode).toBe(200);
  });

  it("refuse missing, forged, foreign, expired and misaddressed tokens with 401 and a Bearer challenge", async () => {
    const app = await build(fixture, entraEnv());
    const before = await abCounts(app);
    const refused = [
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      bearer("not.a.token"),
      bearer(await sign({}, { key: "other" })),
      bearer(
        await sign({
          iss: "https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/v2.0",
        }),
      ),
      bearer(await sign({ aud: "api://someone-else" })),
      bearer(await sign({ exp: Math.floor(Date.now() / 1000) - 3600 })),
    ];
    for (const headers of refused) {
      const res = await app.inject(predict(headers));
      expect(res.statusCode, JSON.stringify(headers).slice(0, 80)).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="predictions"/);
    }
    expect(await abCounts(app)).toEqual(before);
  });

  it("answer 403 insufficient_scope to a valid token without the app role", async () => {
    const app = await build(fixture, entraEnv());
    const res = await app.inject(predict(bearer(await sign({ roles: ["Something.Else"] }))));
    expect(res.statusCode).toBe(403);
    expect(res.headers["www-authenticate"]).toBe(
      'Bearer realm="predictions", error="insufficient_scope"',
    );
  });

  it("answer 503 when the signing keys cannot be fetched, not a refusal", async () => {
    const app = await build(fixture, {
      ...entraEnv(),
      MLOPS_ENTRA_JWKS_URL: "http://127.0.0.1:9/keys",
    });
    const res = await app.inject(predict(bearer(await sign({}))));
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe("AUTH_UNAVAILABLE");
  });
});

describe("the canary override", () => {
  const env = (extra: Record<string, string>) => ({
    MLOPS_AUTH: "none",
    MLOPS_SECRETS_DIR: secretsDir,
    ...extra,
  });
  const trusted = { "x-canary": "always", "x-canary-token": "canary-trust" };

  it("serves a trusted caller's forced arm apart from the experiment", async () => {
    const app = await build(fixture, env({ MLOPS_CHALLENGER_WEIGHT: "0" }));
    const res = await app.inject(predict(trusted));
    expect(res.statusCode).toBe(200);
    // With a 0 % split only the override can reach the challenger.
    expect(res.json().variant).toBe("challenger");
    expect(await abCounts(app)).toEqual({ counted: 0, logged: 0, overrides: 1 });
    const never = await app.inject(
      predict({ cookie: "mlops-canary=never", "x-canary-token": "canary-trust" }),
    );
    expect(never.json().variant).toBe("champion");
  });

  it("assigns anyone else normally where this process splits", async () => {
    const app = await build(fixture, env({ MLOPS_CHALLENGER_WEIGHT: "0" }));
    const untrusted: Record<string, string>[] = [
      { "x-canary": "always" },
      { "x-canary": "always", "x-canary-token": "guess" },
      { cookie: "theme=dark; mlops-canary=always" },
    ];
    for (const headers of untrusted) {
      const res = await app.inject(predict(headers));
      expect(res.statusCode).toBe(200);
      expect(res.json().variant).toBe("champion");
    }
    expect(await abCounts(app)).toEqual({ counted: 3, logged: 3, overrides: 0 });
  });

  it("reads no inherited property name as an arm, trusted or not", async () => {
    const app = await build(fixture, env({}));
    for (const value of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const res = await app.inject(
        predict({ "x-canary": value, "x-canary-token": "canary-trust" }),
      );
      expect(res.statusCode, res.body).toBe(200);
      const cookie = await app.inject(
        predict({ cookie: `mlops-canary=${value}`, "x-canary-token": "canary-trust" }),
      );
      expect(cookie.statusCode, cookie.body).toBe(200);
    }
    expect(await abCounts(app)).toEqual({ counted: 8, logged: 8, overrides: 0 });
  });

  it("refuses anyone else where the edge chose the arm, counting nothing", async () => {
    const app = await build(fixture, env({ MLOPS_MODE: "single", MLOPS_VARIANT: "challenger" }));
    const forged: Record<string, string>[] = [
      { "x-canary": "always" },
      { "x-canary": "never", "x-canary-token": "canary-trus" },
      { cookie: "mlops-canary=always" },
    ];
    for (const headers of forged) {
      const res = await app.inject(predict(headers));
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe("CANARY_OVERRIDE_FORBIDDEN");
    }
    expect(await abCounts(app)).toEqual({ counted: 0, logged: 0, overrides: 0 });
    expect((await app.inject(predict(trusted))).statusCode).toBe(200);
    // A value that is no override is no request to force anything, whatever name it borrows.
    for (const value of ["maybe", "toString", "__proto__", "constructor"]) {
      expect((await app.inject(predict({ "x-canary": value }))).statusCode).toBe(200);
    }
    expect((await app.inject(predict({ cookie: "mlops-canary=valueOf" }))).statusCode).toBe(200);
    expect(await abCounts(app)).toEqual({ counted: 5, logged: 5, overrides: 1 });
  });
});

describe("operational paths", () => {
  const forwarded = { "x-forwarded-for": "203.0.113.9" };

  it("are not answered to a proxied request when internal-only, while public paths are", async () => {
    const app = await build(fixture, { MLOPS_OPS_INTERNAL_ONLY: "true" });
    for (const url of [
      "/metrics",
      "/docs",
      "/dashboard",
      "/models",
      "/ab-test/stats",
      "/health/live",
      "/health",
    ]) {
      const res = await app.inject({ url, headers: forwarded });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error).toBe("NOT_FOUND");
      // Inside the cluster (probes, Prometheus, a port-forward) they answer.
      expect((await app.inject({ url })).statusCode, url).not.toBe(404);
    }
    expect((await app.inject({ url: "/health/ready", headers: forwarded })).statusCode).toBe(200);
    expect((await app.inject(predict({ forwarded: "for=203.0.113.9" }))).statusCode).toBe(200);
  });
});
