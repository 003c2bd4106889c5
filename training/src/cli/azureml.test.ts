import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_TARGET } from "../../test-support/azureml-target.js";
import { useCliFixture } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { sweepJob } from "../azureml/jobs.js";
import { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "../sweep/gbdt-space.js";
import { MlflowTracker } from "../tracking/mlflow.js";
import { MlflowRestClient } from "../tracking/mlflow-client.js";

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
    const other = await run([...train(), "--target", "cloud"]);
    expect(other.stderr).toMatch(/^error: --target must be "local" or "azureml"/);
  });
});
