import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_TARGET } from "../../test-support/azureml-target.js";
import { useCliFixture } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { sweepJob } from "../azureml/jobs.js";
import { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "../sweep/gbdt-space.js";
import { MlflowTracker } from "../tracking/mlflow.js";
import { MlflowRestClient } from "../tracking/mlflow-client.js";
import { collectParam } from "./azureml.js";

const cli = useCliFixture("mlops-trial-", 400);
const { run } = cli;
const mlflow = new MlflowServer();
let uri: string;

beforeAll(async () => {
  uri = await mlflow.start();
});
afterAll(() => mlflow.stop());

describe("mlops sweep-trial", () => {
  it("trains with the sampled values and logs validation_accuracy by interval to the job's run", async () => {
    const tracker = new MlflowTracker(new MlflowRestClient(uri));
    const job = await tracker.create({ run_id: "x", experiment_name: "sweep", start_time: 1 });
    const r = await run(
      [
        "sweep-trial",
        "--data",
        cli.data,
        "--label",
        "label",
        "--param",
        "nEstimators=20",
        "--param",
        "maxDepth=4",
        "--param",
        "bootstrap=false",
        "--report-every",
        "5",
        "--json",
      ],
      { MLFLOW_TRACKING_URI: uri, MLFLOW_RUN_ID: job.run_id },
    );
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      run_id: job.run_id,
      params: { nEstimators: 20, maxDepth: 4, bootstrap: false },
      trees: 20,
      reports: 4,
    });
    expect(mlflow.violations).toEqual([]);
    const metrics = mlflow.runs.get(job.run_id)!.metrics;
    expect(metrics.map((m) => [m.key, m.step])).toEqual([
      ["validation_accuracy", 1],
      ["validation_accuracy", 2],
      ["validation_accuracy", 3],
      ["validation_accuracy", 4],
    ]);
    expect(metrics.at(-1)!.value).toBe(out.validation_accuracy);
  });

  it("runs a gbdt sweep job's trial command as Azure ML would, logging the metric every round", async () => {
    // The command of the job `mlops sweep --algorithm gbdt --target azureml` submits, with the
    // bindings Azure ML substitutes on the node (a Bayesian sweep's log-sampled learning rate).
    const job = sweepJob(TEST_TARGET, {
      data: "azureml:demo:1",
      label: "label",
      experiment: "demo",
      threads: 1,
      definition: {
        algorithm: "gbdt",
        space: gbdtDesignSpace("bayesian"),
        sampling: { kind: "bayesian" },
        fixed: GBDT_SWEEP_FIXED,
        maxTrials: 20,
      },
    });
    const sampled: Record<string, string> = {
      "search_space.learningRate": String(Math.log(0.2)),
      "search_space.nEstimators": "50",
      "search_space.maxDepth": "5",
      "search_space.minSamplesSplit": "10",
      "inputs.data": cli.data,
    };
    const command = job.trial.command
      .replace(/^cd \/repo && node dist\/mlops\.js /, "")
      .replace(/\$\{\{([a-z_.A-Z]+)\}\}/g, (_, name: string) => sampled[name]!);
    const tracker = new MlflowTracker(new MlflowRestClient(uri));
    const trial = await tracker.create({ run_id: "g", experiment_name: "sweep", start_time: 1 });
    const r = await run([...command.split(" "), "--json"], {
      MLFLOW_TRACKING_URI: uri,
      MLFLOW_RUN_ID: trial.run_id,
    });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ rounds: 50, reports: 50 });
    expect(out.params).toEqual({
      minSamplesLeaf: 1,
      learningRate: expect.closeTo(0.2, 12),
      nEstimators: 50,
      maxDepth: 5,
      minSamplesSplit: 10,
    });
    expect(mlflow.violations).toEqual([]);
    const metrics = mlflow.runs.get(trial.run_id)!.metrics;
    const steps = (key: string) => metrics.filter((m) => m.key === key).map((m) => m.step);
    const rounds = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(steps("validation_accuracy")).toEqual(rounds);
    expect(steps("validation_loss")).toEqual(rounds);
  });

  it("names a missing run and bad params", async () => {
    const base = ["sweep-trial", "--data", cli.data, "--label", "label"];
    const noRun = await run([...base, "--param", "maxDepth=4"]);
    expect(noRun.stderr).toMatch(/^error: --run-id or MLFLOW_RUN_ID must name the trial's run/);
    const bad = await run([...base, "--param", "maxDepth"], { MLFLOW_RUN_ID: "r" });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--param must be name=value/);
    const algorithm = await run([...base, "--algorithm", "xgboost", "--param", "maxDepth=4"], {
      MLFLOW_RUN_ID: "r",
    });
    expect(algorithm.stderr).toMatch(
      /^error: --algorithm must be forest or gbdt \(got "xgboost"\)/,
    );
    const log = await run([...base, "--log-param", "learningRate=fast"], { MLFLOW_RUN_ID: "r" });
    expect(log.stderr).toMatch(/--log-param must be name=<number>/);
  });

  it("refuses text for a numeric option, naming the parameter, before touching the run", async () => {
    const base = ["sweep-trial", "--data", cli.data, "--label", "label", "--run-id", "none"];
    const hex = await run([...base, "--param", "nEstimators=0x10"]);
    expect([hex.code, hex.stdout]).toEqual([1, ""]);
    expect(hex.stderr).toBe(
      'error: --param nEstimators must be an integer in [1, 100000] (got "0x10")\n',
    );
    const padded = await run([...base, "--algorithm", "gbdt", "--param", "learningRate= 0.1"]);
    expect(padded.stderr).toBe(
      'error: --param learningRate must be a number in (0, 1] (got " 0.1")\n',
    );
    const unknown = await run([...base, "--log-param", "rate=-2"]);
    expect(unknown.stderr).toMatch(/^error: --log-param rate is not a forest option \(known: /);
  });
});

describe("collectParam", () => {
  const read = (value: string) => collectParam(`p=${value}`, {}).p;

  it("reads decimal numbers, with either case of exponent as Azure ML substitutes them", () => {
    expect(["20", "-1.25", ".05", "1e-05", "5.0E-4", "1E+2", "+3"].map(read)).toEqual([
      20, -1.25, 0.05, 1e-5, 5e-4, 100, 3,
    ]);
    expect([read("true"), read("false")]).toEqual([true, false]);
  });

  it("keeps any other text as given, never as another number", () => {
    for (const text of [
      "0x10",
      "0b1",
      "0o7",
      " 5",
      "5 ",
      "Infinity",
      "-Infinity",
      "NaN",
      "1e400",
    ]) {
      expect(read(text)).toBe(text);
    }
    expect(read("sqrt")).toBe("sqrt");
  });

  it("keeps earlier params and lets a later one win", () => {
    expect(collectParam("b=2", collectParam("a=1", {}))).toEqual({ a: 1, b: 2 });
    expect(collectParam("a=x", { a: 1 })).toEqual({ a: "x" });
  });
});

describe("mlops sweep-trial and its run", () => {
  const trial = (...extra: string[]) => [
    ...["sweep-trial", "--data", cli.data, "--label", "label"],
    ...["--param", "nEstimators=5", "--report-every", "1", "--json", ...extra],
  ];

  it("names --run-id before training when the tracker has no such run", async () => {
    const r = await run(trial("--run-id", "abc"));
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toMatch(
      /^error: --run-id \(or MLFLOW_RUN_ID\) must name a run the tracker can log to: sqlite:.*: run abc does not exist \(got "abc"\)\n$/,
    );
  });

  it("fails with a message, not an unhandled rejection, when a metric cannot be logged", async () => {
    // An MLflow server that takes the run's tags but refuses its metrics (a run ended meanwhile).
    const metricPosts: number[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const metrics = (JSON.parse(body || "{}") as { metrics?: unknown[] }).metrics ?? [];
        if (metrics.length > 0) metricPosts.push(metrics.length);
        const refused = metrics.length > 0;
        res.writeHead(refused ? 400 : 200, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            refused ? { error_code: "INVALID_STATE", message: "run r is not active" } : {},
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { port } = server.address() as AddressInfo;
      const r = await run(trial("--run-id", "r"), {
        MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`,
      });
      // Give a rejection left without a handler the turn Node needs to report it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toMatch(/^error: could not log validation_accuracy to run r: .*not active/);
      expect(r.stderr.split("\n")).toHaveLength(2);
      expect(unhandled).toEqual([]);
      // The first refusal stopped the trial: no later report was sent.
      expect(metricPosts).toEqual([1]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("--target", () => {
  const train = () => ["train", "--data", cli.data, "--label", "label"];
  it("needs the workspace variables for azureml and a cluster for --instances", async () => {
    const missing = await run([...train(), "--target", "azureml", "--instances", "2"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error: AZURE_SUBSCRIPTION_ID must be set for --target azureml/,
    );
    const local = await run([...train(), "--instances", "2"]);
    expect(local.stderr).toMatch(/^error: --instances needs --target azureml/);
    const promote = await run([...train(), "--target", "azureml", "--auto-promote"]);
    expect(promote.stderr).toMatch(/^error: --auto-promote is not available with --target azureml/);
    // The name a job would register under is checked before submitting, as the local command checks it.
    for (const data of ["azureml://datastores/x/paths/", "https://data.example/Über daten.csv"]) {
      const unnamed = await run([
        "train",
        "--data",
        data,
        "--label",
        "label",
        "--target",
        "azureml",
      ]);
      expect(unnamed.stderr).toMatch(
        /^error: --name \(by default the --data asset's or file's name\) must be 1-64 characters of letters, digits/,
      );
    }
    const other = await run([...train(), "--target", "cloud"]);
    expect(other.stderr).toMatch(/^error: --target must be "local" or "azureml"/);
  });
});
