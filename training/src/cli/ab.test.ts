import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionSchema } from "@mlops/contracts";
import { planExperiment } from "@mlops/experiments";
import {
  irisExperiment,
  irisPrediction,
  registerIrisVersions,
} from "@mlops/experiments/test-support";
import { readDemoFixture } from "@mlops/models/test-support";
import type { Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, withSqlite } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { selectTracking } from "../tracking/select.js";
import { INVALID_DECISION_EXIT_CODE } from "./ab.js";

let root: string;
const dbPath = () => join(root, "platform.db");

const run = (argv: string[], env: Record<string, string> = {}) => runCli(dbPath(), argv, env);

const withStore = <T>(fn: (store: Store) => Promise<T>) => withSqlite(dbPath(), fn);

/**
 * `n` predictions on `variant`, each with an outcome that is right for every other one, or for
 * nine in ten when `better`.
 */
async function traffic(
  store: Store,
  experiment: string,
  variant: string,
  n: number,
  better = false,
) {
  const predictions = Array.from({ length: n }, (_, i) =>
    irisPrediction({
      request_id: `${experiment}-${variant}-${i}`,
      experiment_id: experiment,
      variant,
      probabilities: { a: 0.6, b: 0.4 },
      latency_ms: 5,
      timestamp: 1_700_000_000_000 + i,
    }),
  );
  await store.predictions.insertMany(predictions);
  await store.outcomes.insertMany(
    predictions.map((p, i) => ({
      request_id: p.request_id,
      outcome: (better ? i % 10 !== 0 : i % 2 === 0) ? "a" : "b",
      timestamp: p.timestamp + 1,
    })),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-ab-cli-"));
  await withStore(async (store) => {
    // A forest registered before the algorithm param existed, then boosted trees; their files
    // are the demo's, so mirroring them to MLflow uploads a real, verified artifact.
    const [forest, gbdt] = await readDemoFixture();
    await registerIrisVersions(store, {
      challengerParams: { algorithm: "gbdt" },
      artifacts: [forest!.ref, gbdt!.ref],
    });
    for (const id of ["skewed", "early", "clear-win", "clear-loss"]) {
      await store.experiments.create(irisExperiment(id));
    }
    await store.experiments.create(
      irisExperiment("lopsided", {
        alpha: 0.1,
        variants: [
          { name: "champion", weight: 90, model: "iris@1" },
          { name: "challenger", weight: 10, model: "iris@2" },
        ],
      }),
    );
    // 300 against 150 on a 50/50 split: a sample ratio mismatch.
    await traffic(store, "skewed", "champion", 300);
    await traffic(store, "skewed", "challenger", 150);
    await traffic(store, "early", "champion", 30);
    await traffic(store, "early", "challenger", 30);
    await traffic(store, "clear-win", "champion", 400);
    await traffic(store, "clear-win", "challenger", 400, true);
    await traffic(store, "clear-loss", "champion", 400, true);
    await traffic(store, "clear-loss", "challenger", 400);
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("mlops ab analyze", () => {
  it("exits 2 on an invalid decision, still printing and writing what it found, recording nothing", async () => {
    const decisionOut = join(root, "out", "skewed.json");
    const report = join(root, "out", "skewed.md");
    const { code, stdout, stderr } = await run([
      "ab",
      "analyze",
      ...["--experiment", "skewed", "--decision-out", decisionOut, "--report", report],
    ]);
    expect(code).toBe(INVALID_DECISION_EXIT_CODE);
    expect(stderr).toMatch(/^decision invalid: sample ratio mismatch: champion 300 \(weight 50\)/);
    expect(stdout).toContain("## Decision: invalid");
    expect(stdout).toContain("**Mismatch**");
    expect(stdout).toContain(`wrote ${decisionOut}`);
    const record = DecisionSchema.parse(JSON.parse(await readFile(decisionOut, "utf8")));
    expect(record).toMatchObject({ experiment_id: "skewed", decision: "invalid" });
    // It names the arms judged, which `mlops release plan` checks against the stack's models.
    expect(record.variants).toEqual([
      { name: "champion", model: "iris@1" },
      { name: "challenger", model: "iris@2" },
    ]);
    // No comparison, so no chart: the report says why and links nothing.
    expect(await readdir(join(root, "out"))).toEqual(["skewed.json", "skewed.md"]);
    const markdown = await readFile(report, "utf8");
    expect(markdown).toContain("No chart: sample ratio mismatch");
    // The arms table names the version and algorithm each arm serves.
    expect(markdown).toContain("| challenger | 50% | iris@2 | v2 | gbdt | 150 |");
    expect(await withStore((s) => s.experiments.decisions("skewed"))).toEqual([]);
  });

  it("prints one JSON object with every number, and records a continue with --apply", async () => {
    const { code, stdout, stderr } = await run([
      "ab",
      "analyze",
      ...["--experiment", "early", "--json", "--apply"],
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      experiment_id: "early",
      decision: "continue",
      arms: { control: "champion", treatment: "challenger" },
      srm: { df: 1, mismatch: false },
      primary: null,
      previous_p_value: 1,
      applied: { championMove: null, state: "running" },
      files: { report: null, chart: null, decision: null },
      arm_models: {
        champion: { name: "iris", version: 1, algorithm: "forest" },
        challenger: { name: "iris", version: 2, algorithm: "gbdt" },
      },
    });
    expect(out.reasons[0]).toMatch(/^not enough data: accuracy has 30 observations/);
    expect(out.metrics.map((m: { accuracy: { n: number } }) => m.accuracy.n)).toEqual([30, 30]);
    const recorded = await withStore((s) => s.experiments.decisions("early"));
    expect(recorded).toEqual([out.decision_record]);
  });

  it("mirrors a champion move to the MLflow registry when it applies a promotion", async () => {
    const mlflow = new MlflowServer();
    const uri = await mlflow.start();
    try {
      // As `mlops train` does with tracking on: every registered version is mirrored first.
      await withStore(async (store) => {
        const { mirror } = selectTracking({ MLFLOW_TRACKING_URI: uri }, store);
        for (const v of [1, 2])
          await mirror!.versionRegistered((await store.models.get("iris", v))!);
      });
      const { code, stdout, stderr } = await run(
        ["ab", "analyze", "--experiment", "clear-win", "--apply", "--json"],
        { MLFLOW_TRACKING_URI: uri },
      );
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(stdout).decision).toBe("promote");
      expect(await withStore((store) => store.models.resolve("iris@champion"))).toMatchObject({
        version: 2,
      });
      const mirrored = mlflow.registeredModels.get("iris");
      const champion = mirrored?.versions.find((v) => v.version === mirrored.aliases.champion);
      expect(champion?.tags["mlops.version"]).toBe("2");
      expect(mlflow.violations).toEqual([]);
    } finally {
      await mlflow.stop();
    }
  });

  it("names the flag when the experiment does not exist", async () => {
    const { code, stderr } = await run(["ab", "analyze", "--experiment", "nope"]);
    expect(code).toBe(1);
    expect(stderr).toBe('error: --experiment: must name an experiment in the store, got "nope"\n');
  });

  it("names the file and why when a report cannot be written, leaving no temporary file", async () => {
    const folder = join(root, "taken");
    await mkdir(join(folder, "report.md"), { recursive: true });
    const report = join(folder, "report.md");
    const { code, stderr } = await run([
      ...["ab", "analyze", "--experiment", "early", "--report", report],
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: cannot write ${report}: it is a directory\n`);
    expect(await readdir(folder)).toEqual(["report.md"]);
  });
});

describe("mlops ab analyze --apply", () => {
  it("changes nothing when a file it was asked to write cannot be written", async () => {
    const folder = join(root, "blocked");
    const taken = join(folder, "decision.json");
    await mkdir(taken, { recursive: true });
    const args = ["ab", "analyze", "--experiment", "clear-loss", "--apply"];
    const report = ["--report", join(folder, "report.md")];
    const blocked = await run([...args, ...report, "--decision-out", taken]);
    expect([blocked.code, blocked.stderr]).toEqual([
      1,
      `error: cannot write ${taken}: it is a directory\n`,
    ]);
    // Neither the report nor its chart, no temporary file, and the store as it was.
    expect(await readdir(folder)).toEqual(["decision.json"]);
    expect(await withStore((s) => s.experiments.decisions("clear-loss"))).toEqual([]);
    expect((await withStore((s) => s.experiments.get("clear-loss")))?.state).toBe("running");

    // One file for two outputs would be written twice, the second over the first.
    for (const same of ["report.md", "report.lift.svg"]) {
      const twice = await run([...args, ...report, "--decision-out", join(folder, same)]);
      expect([twice.code, twice.stderr]).toEqual([
        1,
        `error: --decision-out must name another file than --report and its chart (got ${JSON.stringify(join(folder, same))})\n`,
      ]);
    }
    expect(await readdir(folder)).toEqual(["decision.json"]);

    const done = await run([...args, ...report, "--decision-out", join(folder, "rollback.json")]);
    expect(done.code).toBe(0);
    const recorded = await withStore((s) => s.experiments.decisions("clear-loss"));
    expect(recorded.map((d) => d.decision)).toEqual(["rollback"]);
    const written = JSON.parse(await readFile(join(folder, "rollback.json"), "utf8"));
    expect(written).toEqual(JSON.parse(JSON.stringify(recorded[0])));
    expect((await readdir(folder)).sort()).toEqual([
      "decision.json",
      "report.lift.svg",
      "report.md",
      "rollback.json",
    ]);

    // Concluded: the pipeline analyses and applies again; it gets the recorded decision back,
    // records nothing, and the champion-only traffic served since changes nothing.
    const after = recorded[0]!.decided_at + 1;
    await withStore((s) =>
      s.predictions.insertMany(
        Array.from({ length: 300 }, (_, i) =>
          irisPrediction({
            request_id: `clear-loss-after-${i}`,
            experiment_id: "clear-loss",
            variant: "champion",
            timestamp: after + i,
          }),
        ),
      ),
    );
    const again = await run([...args, "--decision-out", join(folder, "again.json")]);
    expect([again.code, again.stderr]).toEqual([0, ""]);
    expect(again.stdout).toContain(
      `experiment clear-loss was concluded by decision ${recorded[0]!.id} (rollback); nothing more to apply`,
    );
    expect(again.stdout).toContain("## Decision: rollback");
    expect(JSON.parse(await readFile(join(folder, "again.json"), "utf8"))).toEqual(written);
    expect(await withStore((s) => s.experiments.decisions("clear-loss"))).toEqual(recorded);
  });
});

describe("mlops ab plan", () => {
  it("prints both sizes and the days the smaller arm needs", async () => {
    const { code, stdout } = await run([
      "ab",
      "plan",
      ...["--baseline", "0.7", "--mde", "0.02", "--traffic", "10000/day"],
      ...["--challenger-weight", "20", "--json"],
    ]);
    expect(code).toBe(0);
    const expected = planExperiment({
      metric: "accuracy",
      baseline: 0.7,
      mde: 0.02,
      trafficPerDay: 10_000,
      challengerWeight: 20,
    });
    expect(JSON.parse(stdout)).toEqual({ ...expected, experiment: null, reachable: null });

    const text = await run([
      "ab",
      "plan",
      "--baseline",
      "10",
      "--mde",
      "0.5",
      "--metric",
      "mean",
      "--sd",
      "2",
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("fixed-horizon test, looked at once: 252 per arm\n");
    expect(text.stdout).toMatch(
      /always-valid test \(what mlops ab analyze decides with\): \d+ per arm\n/,
    );
    // A large effect: the decision's minimum, not the power, sets both sizes, and says so.
    const large = await run([
      "ab",
      "plan",
      "--baseline",
      "10",
      "--mde",
      "5",
      "--metric",
      "mean",
      "--sd",
      "1",
    ]);
    expect(large.stdout).toContain(
      "fixed-horizon test, looked at once: 100 per arm (the fewest mlops ab analyze compares; the power alone needs 1)\n",
    );
  });

  it("shows the baseline and the target with the digits that tell them apart", async () => {
    const { stdout } = await run(["ab", "plan", "--baseline", "0.999999", "--mde", "0.0000005"]);
    expect(stdout).toMatch(/^accuracy 0\.999999 → 0\.9999995 \(MDE 5e-7\)/);
    const coarse = await run(["ab", "plan", "--baseline", "0.7", "--mde", "0.02"]);
    expect(coarse.stdout).toMatch(/^accuracy 0\.7 → 0\.72 \(MDE 0\.02\)/);
  });

  it("adds what a running experiment can detect now", async () => {
    const { code, stdout } = await run([
      "ab",
      "plan",
      ...["--baseline", "0.5", "--mde", "0.1", "--experiment", "early"],
    ]);
    expect(code).toBe(0);
    // 30 observations an arm: the always-valid test could not yet reject any accuracy difference.
    expect(stdout).toContain(
      "experiment early so far: 30 and 30 observations; no accuracy difference is detectable yet with power 0.8 (the always-valid test needs more data)\n",
    );
    const more = await run([
      "ab",
      "plan",
      "--baseline",
      "0.5",
      "--mde",
      "0.1",
      "--experiment",
      "clear-win",
    ]);
    expect(more.stdout).toMatch(
      /experiment clear-win so far: 400 and 400 observations; detectable accuracy difference now 0\.\d+ \(power 0\.8, the always-valid test\)\n/,
    );
  });

  it("plans at the experiment's own split and alpha unless the flags set them", async () => {
    const flags = ["ab", "plan", "--baseline", "0.7", "--mde", "0.02", "--traffic", "10000/day"];
    const base = { metric: "accuracy", baseline: 0.7, mde: 0.02, trafficPerDay: 10_000 } as const;
    const own = await run([...flags, "--experiment", "lopsided", "--json"]);
    expect(own.code).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject(
      planExperiment({ ...base, challengerWeight: 10, alpha: 0.1 }),
    );
    const text = await run([...flags, "--experiment", "lopsided"]);
    expect(text.stdout).toContain("at 10000/day, 10% to the challenger");
    const set = await run([
      ...flags,
      ...["--experiment", "lopsided", "--challenger-weight", "30", "--alpha", "0.05", "--json"],
    ]);
    expect(JSON.parse(set.stdout)).toMatchObject(
      planExperiment({ ...base, challengerWeight: 30, alpha: 0.05 }),
    );
  });

  it("names the flag and the rule on bad input", async () => {
    const cases: [string[], string][] = [
      [["--baseline", "1.5", "--mde", "0.02"], "error: --baseline: must lie in (0, 1), got 1.5\n"],
      [
        ["--baseline", "0.7", "--mde", "0.02", "--challenger-weight", "0"],
        "error: --challenger-weight: must lie in (0, 100), got 0\n",
      ],
      [
        ["--baseline", "3", "--mde", "1", "--metric", "mean"],
        "error: --sd: is required for a mean outcome\n",
      ],
      [
        ["--baseline", "0.7", "--mde", "abc"],
        '--mde must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got "abc")',
      ],
      // Decimal numbers only: Number() would read 0x10 as 16, 0b1 as 1 and " .5" as 0.5.
      [
        ["--baseline", "10", "--mde", "1", "--metric", "mean", "--sd", "0x10"],
        '--sd must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got "0x10")',
      ],
      [["--baseline", "0b1", "--mde", "0.1"], "--baseline must be a finite decimal number"],
      [["--baseline", "0.5", "--mde", " .5"], "--mde must be a finite decimal number"],
      [["--baseline", "0.7", "--mde", "0.1", "--traffic", " 5"], "--traffic must be predictions"],
      [
        ["--baseline", "0.5", "--mde", "0.000000001"],
        "error: --mde is too small to detect: it would need about 2.9e+19 observations per arm, more than 9007199254740991 (got 1e-9)\n",
      ],
      [
        ["--baseline", "0.5", "--mde", "0.1", "--alpha", "0.05", "--power", "0.05"],
        "error: --power must exceed --alpha (0.05): a test already rejects with probability alpha when there is no effect, so a lower power asks for nothing (got 0.05)\n",
      ],
      [
        ["--baseline", "0.7", "--mde", "0.1", "--traffic", "lots"],
        "--traffic must be predictions per day > 0",
      ],
      [
        ["--baseline", "0.7", "--mde", "0.1", "--metric", "auc"],
        "--metric must be accuracy or mean",
      ],
      [
        ["--baseline", "0.7", "--mde", "0.05", "--sd", "2"],
        "error: --sd applies to --metric mean only: accuracy's spread follows from its rate (got 2)\n",
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await run(["ab", "plan", ...args]);
      expect(code, args.join(" ")).toBe(1);
      expect(stderr).toContain(message);
    }
  });
});

describe("mlops ab simulate", () => {
  it("rejects a bad URL or effect before sending anything", async () => {
    const badUrl = await run(["ab", "simulate", "--url", "ftp://example", "--effect", "0.1"]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toBe("error: --url: must be http or https (got ftp:)\n");
    const withQuery = await run([
      ...["ab", "simulate", "--url", "http://127.0.0.1:9/api?v=1", "--effect", "0.1"],
    ]);
    expect(withQuery.stderr).toBe(
      "error: --url: must not have a query or fragment (?… or #…): routes are appended to its path\n",
    );
    const withCredentials = await run([
      ...["ab", "simulate", "--url", "http://u:secret@127.0.0.1:9", "--effect", "0.1"],
    ]);
    expect(withCredentials.stderr).toBe(
      "error: --url: must not hold a user name or password (user:password@host): credentials go in a header\n",
    );
    const badEffect = await run([
      "ab",
      "simulate",
      "--url",
      "http://127.0.0.1:1",
      "--effect",
      "0.5",
    ]);
    expect(badEffect.code).toBe(1);
    expect(badEffect.stderr).toBe(
      "error: --effect: baseline + effect must lie in [0, 1] for accuracy, got 0.7 + 0.5\n",
    );
    // --sd describes a numeric outcome; given for accuracy it would change nothing.
    const sd = await run(
      ["ab", "simulate", "--url", "http://127.0.0.1:1", "--effect", "0.1"].concat(["--sd", "2"]),
    );
    expect([sd.code, sd.stderr]).toEqual([
      1,
      "error: --sd applies to --metric mean only: accuracy's spread follows from its rate (got 2)\n",
    ]);
    // Node's timers keep at most 2^31 - 1 ms: a longer deadline would pass at once.
    for (const timeout of ["0", "3000000"]) {
      const bad = await run([
        "ab",
        "simulate",
        "--url",
        "http://127.0.0.1:1",
        "--effect",
        "0.1",
        "--timeout",
        timeout,
      ]);
      expect([bad.code, bad.stderr]).toEqual([
        1,
        `error: option '--timeout <seconds>' argument '${timeout}' is invalid. --timeout must be seconds in (0, 2147483] (got "${timeout}")\n`,
      ]);
    }
  });

  it("fails with the reason when nothing listens at the URL", async () => {
    // A loopback port that was free a moment ago.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const { code, stderr } = await run([
      "ab",
      "simulate",
      ...["--url", `http://127.0.0.1:${port}`, "--effect", "0.1", "--requests", "5"],
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: could not reach http://127.0.0.1:${port}/: ECONNREFUSED\n`);
  });

  it("names the field and the rule an answer of the wrong shape breaks, in one line", async () => {
    // A service that answers every request 200 with a body that is no prediction.
    const server = createHttpServer((_req, res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ request_id: "r-1", variant: "treatment" })),
    );
    const url = await listening(server);
    try {
      const { code, stderr } = await run([
        ...["ab", "simulate", "--url", `${url}/api/`, "--effect", "0.1", "--requests", "3"],
      ]);
      expect(code).toBe(1);
      expect(stderr).toBe(
        "error: no request succeeded: of 3 sent, 3 failed (the first: the answer to POST /api/predict is invalid: " +
          "prediction: Invalid input: expected string, received undefined; " +
          "probability: Invalid input: expected number, received undefined; " +
          "probabilities: Invalid input: expected record, received undefined; " +
          'variant: Invalid option: expected one of "champion"|"challenger"; ' +
          "model: Invalid input: expected object, received undefined; " +
          "model_version: Invalid input: expected string, received undefined; " +
          "experiment_id: Invalid input: expected string, received undefined)\n",
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("says how many requests were sent and cut off unanswered by --timeout", async () => {
    // A service that takes every request and never answers.
    const server = createHttpServer(() => {});
    const url = await listening(server);
    try {
      const { code, stdout, stderr } = await run([
        ...["ab", "simulate", "--url", url, "--effect", "0.1", "--requests", "3"],
        ...["--timeout", "0.3"],
      ]);
      expect(code).toBe(1);
      expect(stdout).toMatch(
        /^sent 3 of 3 requests to http:\/\/127\.0\.0\.1:\d+\/ in [\d.]+ s: 0 predictions with feedback, 0 failed, 3 unanswered \(stopped by --timeout\)\n/,
      );
      expect(stderr).toBe(
        "error: no request succeeded: of 3 sent, 3 had no answer when --timeout 0.3 s stopped the run\n",
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** `server` listening on a free loopback port, and its base URL. */
async function listening(server: ReturnType<typeof createHttpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
