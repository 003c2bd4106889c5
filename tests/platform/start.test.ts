/**
 * `pnpm start` end to end, as real processes on loopback in a temporary directory: the first
 * start registers the demo models and serves; predictions and feedback go in; a graceful stop
 * flushes the prediction log; a second start reuses the registry and every prediction is there.
 * A bad setting stops the root `pnpm start` before it builds anything.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import {
  AbStatsResponseSchema,
  DEFAULT_SQLITE_PATH,
  FeedbackResponseSchema,
  GarchForecastResponseSchema,
  PredictResponseSchema,
} from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { openStore } from "@mlops/store";
import { describe, expect, it } from "vitest";
import {
  call,
  interruptWhen,
  listeningAddresses,
  mlops,
  pnpmStart,
  runToExit,
  START,
  start,
} from "./process.js";
import { scratchSuite } from "./scratch.js";

const suite = scratchSuite("mlops-platform-");

// The flush interval is far beyond the test, so records reach the store only by the graceful
// stop's final flush: that is what the restart checks.
const env = { MLOPS_CHALLENGER_WEIGHT: "50", MLOPS_LOG_FLUSH_MS: "600000" };
const row = [0.5, -1.2, 0.3, 1.1, -0.4];

describe("pnpm start", () => {
  it("bootstraps, serves, stops gracefully, restarts on the same registry and loses nothing", async () => {
    // 1. First start: trains, fits and registers, then serves in split mode, on loopback only
    // when HOST is not set (nothing asks for a key by default).
    const first = await start(START, suite.dir, env, { defaultHost: true });
    suite.running.push(first);
    const listening = await listeningAddresses(Number(new URL(first.url).port));
    expect(new Set(listening)).toEqual(new Set(["127.0.0.1"]));
    expect(first.stderr).toMatch(/training classifier \(champion, forest\)/);
    expect(first.stderr).toMatch(/training classifier \(challenger, gbdt\)/);
    expect(first.stderr).toMatch(/fitted GARCH\(1,1\) on dem2gbp/);
    expect(first.stdout).toContain(`curl -s -X POST ${first.url}/predict`);

    // 2. Predictions from 40 users, and an outcome for each (correct for every other one).
    const arms = new Map<string, string>();
    let correct = 0;
    for (let i = 0; i < 40; i++) {
      const user = `user-${i}`;
      const res = await call(first.url, "/predict", PredictResponseSchema, {
        features: row,
        user_id: user,
      });
      expect(res.status).toBe(200);
      arms.set(user, res.body.variant);
      const right = i % 2 === 0;
      if (right) correct++;
      const outcome = right ? res.body.prediction : res.body.prediction === "1" ? "0" : "1";
      const fb = await call(first.url, "/feedback", FeedbackResponseSchema, {
        request_id: res.body.request_id,
        outcome,
      });
      expect(fb.status).toBe(202);
    }
    const forecast = await call(first.url, "/garch/forecast", GarchForecastResponseSchema, {
      model: "dem2gbp@champion",
      horizon: 2,
    });
    expect(forecast.body.volatility).toHaveLength(2);

    // 3. Graceful stop: exit 0 after draining and flushing.
    expect(await first.stop("SIGTERM")).toBe(0);

    // 4. Second start reuses what is registered.
    const second = await start(START, suite.dir, env);
    suite.running.push(second);
    expect(second.stderr).toMatch(/reusing classifier@champion \(v1\) and @challenger \(v2\)/);
    expect(second.stderr).not.toMatch(/training/);

    // 5. Every prediction and outcome is in the store, per arm as assigned.
    const stats = await call(second.url, "/ab-test/stats", AbStatsResponseSchema);
    const byVariant = Object.fromEntries(stats.body.variants.map((v) => [v.variant, v]));
    const expected = { champion: 0, challenger: 0 } as Record<string, number>;
    for (const arm of arms.values()) expected[arm]++;
    expect(byVariant.champion.count).toBe(expected.champion);
    expect(byVariant.challenger.count).toBe(expected.challenger);
    expect(byVariant.champion.outcome_count + byVariant.challenger.outcome_count).toBe(40);
    expect(byVariant.champion.correct_count + byVariant.challenger.correct_count).toBe(correct);

    // 6. Users keep their arm across restarts.
    for (const user of ["user-0", "user-1", "user-2"]) {
      const res = await call(second.url, "/predict", PredictResponseSchema, {
        features: row,
        user_id: user,
      });
      expect(res.body.variant).toBe(arms.get(user));
    }
    expect(await second.stop("SIGINT")).toBe(0);

    // 7. A decision concluded the experiment (as `mlops ab analyze --apply` records one): the
    // next start says so and, as the pipeline closes the canary, serves the champion to everyone.
    const store = await openStore({ kind: "sqlite", path: join(suite.dir, DEFAULT_SQLITE_PATH) });
    try {
      await store.experiments.appendDecision({
        id: "default:1",
        experiment_id: "default",
        decision: "rollback",
        reason: "the challenger lost",
        evidence: {},
        decided_at: Date.now(),
      });
      await store.experiments.setState("default", "concluded");
    } finally {
      await store.close();
    }
    const third = await start(START, suite.dir, env);
    suite.running.push(third);
    expect(third.stderr).toMatch(
      /experiment default was concluded by decision default:1 \(rollback, /,
    );
    expect(third.stdout).toContain("serving split (100/0, experiment default concluded)");
    for (const user of ["user-0", "user-1", "user-2", "user-3"]) {
      const res = await call(third.url, "/predict", PredictResponseSchema, {
        features: row,
        user_id: user,
      });
      expect(res.body.variant).toBe("champion");
    }
    expect(await third.stop("SIGTERM")).toBe(0);
  });

  it("fails fast on a bad configuration, naming the variable", async () => {
    const { code, stderr } = await runToExit(START, suite.dir, {
      PORT: "99999",
      MLOPS_MODE: "both",
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT: .*65535/);
    expect(stderr).toMatch(/MLOPS_MODE/);
  });
});

describe("pnpm start, with a bad setting", () => {
  it.each([
    ["PORT", "abc", /^mlops serving: serving config is invalid: PORT: must be an integer$/m],
    ["PORT", "70000", /^mlops serving: serving config is invalid: PORT: .*<=65535$/m],
    ["MLOPS_MODE", "bogus", /^mlops serving: serving config is invalid: MLOPS_MODE: .*"garch"$/m],
  ])(
    "%s=%s stops it before it builds, naming the variable and the rule",
    async (name, value, rule) => {
      const built = (await stat(START)).mtimeMs;
      const { code, stderr } = await pnpmStart({ [name]: value });
      expect(code).toBe(1);
      expect(stderr).toMatch(rule);
      // The build neither ran nor started: no line of its own, and the bundle as it was.
      expect(stderr).not.toMatch(/^(built|build failed)/m);
      expect((await stat(START)).mtimeMs).toBe(built);
    },
  );
});

describe("pnpm start, interrupted while it trains", () => {
  const fresh = scratchSuite("mlops-platform-interrupted-");

  it("marks the run it stopped KILLED, registers nothing half-made, and trains it next time", async () => {
    // The champion is trained and registered; the signal comes while the challenger trains.
    const stopped = await interruptWhen(
      START,
      fresh.dir,
      { PORT: String(await freePort()) },
      /training classifier \(champion, forest\): 100 trees: accuracy/,
      "SIGINT",
    );
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/mlops serving: interrupted by SIGINT\n/);
    const listed = await mlops(["runs", "list", "--json"], fresh.dir);
    expect(listed.code).toBe(0);
    const runs = JSON.parse(listed.stdout) as { status: string; run_name: string }[];
    expect(runs.map((r) => r.status).sort()).toEqual(["FINISHED", "KILLED"]);

    // The next start reuses the champion and trains the challenger again.
    const again = await start(START, fresh.dir, {});
    fresh.running.push(again);
    expect(again.stderr).not.toMatch(/training classifier \(champion/);
    expect(again.stderr).toMatch(/training classifier \(challenger, gbdt\)/);
    expect(await again.stop("SIGTERM")).toBe(0);
  });
});
