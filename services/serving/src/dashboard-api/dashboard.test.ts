/**
 * The dashboard's endpoints on the real app and stores: the shared SQLite platform for the data,
 * and a Cosmos DB protocol server that is stopped under the app for the outage (the store-backed
 * endpoints answer 503 saying so; the traffic endpoint, read from memory, keeps answering).
 */
import type { AddressInfo } from "node:net";
import { parseServingConfig } from "@mlops/contracts";
import { openStore, registerVersion } from "@mlops/store";
import { createHttpServer } from "@vercel/cosmosdb-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, openFixture } from "../../test-support/index.js";
import { createApp } from "../app.js";
import { loadServedModels } from "../models/served.js";
import {
  ExperimentViewSchema,
  GarchViewSchema,
  ModelsViewSchema,
  TrafficViewSchema,
} from "./schemas.js";
import { histogramQuantile } from "./traffic-view.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

describe("histogramQuantile", () => {
  const buckets: [number, number][] = [
    [1, 10],
    [2, 30],
    [5, 40],
  ];
  it("interpolates inside the bucket the rank falls in, as histogram_quantile does", () => {
    expect(histogramQuantile(0.25, buckets, 40)).toBe(1);
    expect(histogramQuantile(0.5, buckets, 40)).toBe(1.5);
    expect(histogramQuantile(0.875, buckets, 40)).toBe(3.5);
  });
  it("reports observations above the last bound at that bound, and nothing as null", () => {
    expect(histogramQuantile(0.99, buckets, 50)).toBe(5);
    expect(histogramQuantile(0.5, buckets, 0)).toBeNull();
  });
});

describe("dashboard endpoints", () => {
  it("serves the page uncached and its hashed assets immutable", async () => {
    const app = await build(fixture);
    const page = await app.inject({ url: "/dashboard" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-cache");
    // A document: helmet's full policy, where API answers carry OWASP's shorter REST set.
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["x-frame-options"]).toBe("SAMEORIGIN");
    const assets = [...page.body.matchAll(/"\/dashboard\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.replace(/-[0-9A-Za-z]{8,}\./, "-#."))).toEqual(
      expect.arrayContaining(["icon-#.svg", "main-#.css", "main-#.js"]),
    );
    for (const asset of assets) {
      const res = await app.inject({ url: `/dashboard/assets/${asset}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    }
    expect((await app.inject({ url: "/dashboard/assets/main-0000.js" })).statusCode).toBe(404);
  });

  it("counts predictions per variant from this process's metrics", async () => {
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: "dashboard-unit" });
    const sent = { champion: 0, challenger: 0 };
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({
        method: "POST",
        url: "/predict",
        payload: { features: [0.5, -1.2, 0.3, 1.1, -0.4], user_id: `u-${i}` },
      });
      sent[res.json().variant as keyof typeof sent]++;
    }
    const res = await app.inject({ url: "/dashboard/api/traffic" });
    expect(res.statusCode).toBe(200);
    const view = TrafficViewSchema.parse(res.json());
    expect(view.totals.champion).toEqual({ ok: sent.champion, error: 0 });
    expect(view.totals.challenger).toEqual({ ok: sent.challenger, error: 0 });
    expect(view.log.depth + view.log.written).toBe(20);
  });

  it("says when the configured experiment is not in the store", async () => {
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: "never-defined" });
    const view = ExperimentViewSchema.parse((await app.inject("/dashboard/api/experiment")).json());
    expect(view.analysis).toBeNull();
    expect(view.message).toBe("no experiment never-defined is defined in the store");
  });

  it("lists the served models and draws a GARCH fit with its forecast band", async () => {
    const app = await build(fixture);
    const models = ModelsViewSchema.parse((await app.inject("/dashboard/api/models")).json());
    // The demo's A/B test: a random-forest champion against a boosted-trees challenger.
    expect(models.served.map((m) => [m.variant, m.name, m.version, m.algorithm])).toEqual([
      ["champion", "classifier", 1, "forest"],
      ["challenger", "classifier", 2, "gbdt"],
    ]);
    expect(models.served[0]!.metrics.accuracy).toBeGreaterThan(0.5);
    expect(models.garch).toEqual([
      { name: "dem2gbp", ready_version: 1, aliases: { champion: 1 }, served: true },
    ]);
    // Training writes a card beside each model (the fixtures keep them): the panel links the
    // served classifier's and the link serves it.
    expect(models.served[0]!.card_url).toBe("/dashboard/api/models/classifier/1/card");
    const card = await app.inject("/dashboard/api/models/classifier/1/card");
    expect(card.statusCode).toBe(200);
    expect(card.body).toMatch(/^# Model card: classifier v1/);

    const res = await app.inject("/dashboard/api/garch/dem2gbp?history=30&horizon=5");
    const garch = GarchViewSchema.parse(res.json());
    expect(garch.fitted.volatility).toHaveLength(30);
    expect(garch.fitted.first_index).toBe(garch.nobs - 30);
    const { volatility, mean, lower, upper } = garch.forecast;
    expect(volatility).toHaveLength(5);
    for (let i = 0; i < 5; i++) {
      expect(upper[i]! - mean[i]!).toBeCloseTo(1.959963984540054 * volatility[i]!, 12);
      expect(mean[i]! - lower[i]!).toBeCloseTo(1.959963984540054 * volatility[i]!, 12);
    }
    const bad = await app.inject("/dashboard/api/garch/dem2gbp?horizon=0");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe("horizon");
    // Numbers are decimal digits: not what Number() also reads (hex, exponents, padding, "").
    for (const query of [
      "horizon=0x10",
      "horizon=1e1",
      "horizon=%205",
      "horizon=",
      "history=3.5",
    ]) {
      const odd = await app.inject(`/dashboard/api/garch/dem2gbp?${query}`);
      expect(odd.statusCode, query).toBe(400);
      expect(odd.json().issues[0].message, query).toBe(
        "must be a whole number in decimal digits, such as 20",
      );
    }
    const twice = await app.inject("/dashboard/api/garch/dem2gbp?horizon=5&horizon=6");
    expect(twice.statusCode).toBe(400);
    expect(twice.json().issues[0].path).toBe("horizon");
    for (const version of ["0x1", "1e0"]) {
      const odd = await app.inject(`/dashboard/api/models/classifier/${version}/card`);
      expect(odd.statusCode, version).toBe(400);
    }
  });

  it("refuses a query parameter an endpoint does not read, naming it", async () => {
    const app = await build(fixture);
    for (const url of [
      "/dashboard/api/garch/dem2gbp?horizn=20",
      "/dashboard/api/garch/dem2gbp?horizon=5&histroy=30",
      "/dashboard/api/traffic?since=60",
      "/dashboard/api/experiment?experiment_id=other",
      "/dashboard/api/models?page=2",
      "/dashboard/api/models/classifier/1/card?format=html",
    ]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(400);
      const name = url.split("?")[1]!.split("&").at(-1)!.split("=")[0]!;
      expect(res.json().issues[0].message, url).toContain(`"${name}"`);
    }
  });

  it("documents every data endpoint in the OpenAPI page", async () => {
    const app = await build(fixture);
    const paths = Object.keys((await app.inject("/docs/json")).json().paths);
    expect(paths.filter((p) => p.startsWith("/dashboard"))).toEqual([
      "/dashboard/api/traffic",
      "/dashboard/api/experiment",
      "/dashboard/api/models",
      "/dashboard/api/garch/{name}",
      "/dashboard/api/models/{name}/{version}/card",
    ]);
  });
});

describe("dashboard with the store unreachable", () => {
  it("answers 503 naming the store on store-backed endpoints and keeps the traffic live", async () => {
    const server = createHttpServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cosmos = await openStore(
      { kind: "cosmos", endpoint, database: "dashboard", key: "emulator-key" },
      { cosmos: { timeoutMs: 1500 } },
    );
    try {
      // The served versions, registered in the Cosmos store as they are in the SQLite one.
      for (const [name, alias] of [
        ["classifier", "champion"],
        ["classifier", "challenger"],
      ] as const) {
        const {
          version: _,
          created_at,
          status,
          aliases,
          ...input
        } = await fixture.store.models.resolve(`${name}@${alias}`);
        const registered = await registerVersion(cosmos.models, input);
        await cosmos.models.setAlias(name, alias, registered.version);
      }
      const config = parseServingConfig({ ...fixture.env, MLOPS_GARCH_MODEL: "" });
      const served = await loadServedModels(config, cosmos);
      const app = await createApp({ config, store: cosmos, served, logger: false });
      await app.ready();
      try {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        for (const url of ["/dashboard/api/experiment", "/dashboard/api/models"]) {
          const res = await app.inject(url);
          expect(res.statusCode, url).toBe(503);
          expect(res.json()).toMatchObject({
            error: "STORE_UNAVAILABLE",
            message: "the store did not answer",
          });
          // A passing outage: the client is told when to try again, as a shed request is.
          expect(res.headers["retry-after"], url).toBe("1");
        }
        expect((await app.inject("/dashboard/api/traffic")).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    } finally {
      await cosmos.close();
      if (server.listening) server.close();
    }
  });
});
