import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";

const cli = useCliFixture("mlops-runs-", 400);

describe("mlops runs", () => {
  it("lists and shows the runs training recorded", async () => {
    const trained = JSON.parse((await cli.train("--name", "listed")).stdout);
    const runs = JSON.parse(
      (await cli.run(["runs", "list", "--experiment", "listed", "--json"])).stdout,
    );
    expect(runs.map((r: { run_id: string }) => r.run_id)).toEqual([trained.run_id]);
    expect((await cli.run(["runs", "list"])).stdout).toContain(
      `${trained.run_id}\tlisted\tFINISHED`,
    );
    const shown = JSON.parse((await cli.run(["runs", "show", trained.run_id, "--json"])).stdout);
    expect(shown.status).toBe("FINISHED");
  });

  it("names a run it cannot find", async () => {
    const missing = await cli.run(["runs", "show", "nope"]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      'error: run-id names no tracked run (got "nope")\n',
    ]);
  });

  it("refuses an empty experiment name rather than listing every run", async () => {
    for (const name of ["", "  "]) {
      const r = await cli.run(["runs", "list", "--experiment", name]);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        1,
        "",
        `error: --experiment must name an experiment (got ${JSON.stringify(name)})\n`,
      ]);
    }
  });

  it("reads the runs from MLFLOW_TRACKING_URI's server when it is set, as training tracks them", async () => {
    // A page of one run at a time, so the listing has to follow MLflow's page tokens.
    const mlflow = new MlflowServer({ pageSize: 1 });
    const uri = await mlflow.start();
    try {
      const env = { MLFLOW_TRACKING_URI: uri };
      const local = JSON.parse((await cli.train("--name", "kept-local")).stdout);
      const first = JSON.parse((await cli.run(["train", ...trainArgs("remote")], env)).stdout);
      const second = JSON.parse((await cli.run(["train", ...trainArgs("other")], env)).stdout);

      const all = JSON.parse((await cli.run(["runs", "list", "--json"], env)).stdout);
      expect(all.map((r: { run_id: string }) => r.run_id)).toEqual([first.run_id, second.run_id]);
      expect(all[0]).toMatchObject({
        experiment_name: "remote",
        status: "FINISHED",
        parent_run_id: null,
        params: { n_estimators: "5" },
        metrics: { accuracy: [{ value: first.metrics.accuracy }] },
      });
      const text = (await cli.run(["runs", "list", "--experiment", "other"], env)).stdout;
      expect(text).toBe(
        `${second.run_id}\tother\tFINISHED\t${new Date(all[1].start_time).toISOString()}\taccuracy ${second.metrics.accuracy.toFixed(4)}\n`,
      );
      const none = await cli.run(["runs", "list", "--experiment", "nowhere", "--json"], env);
      expect(JSON.parse(none.stdout)).toEqual([]);

      const shown = JSON.parse(
        (await cli.run(["runs", "show", first.run_id, "--json"], env)).stdout,
      );
      expect(shown).toMatchObject({ run_id: first.run_id, experiment_name: "remote" });
      expect(shown.tags["mlops.model"]).toBe("remote@1");
      const missing = await cli.run(["runs", "show", local.run_id], env);
      expect([missing.code, missing.stderr]).toEqual([
        1,
        `error: run-id names no tracked run (got "${local.run_id}")\n`,
      ]);
      expect(mlflow.violations).toEqual([]);

      // Without the variable, the store's runs, which the server's are not among.
      const stored = JSON.parse((await cli.run(["runs", "list", "--json"])).stdout);
      expect(stored.map((r: { run_id: string }) => r.run_id)).toContain(local.run_id);
      expect(stored.map((r: { run_id: string }) => r.run_id)).not.toContain(first.run_id);
    } finally {
      await mlflow.stop();
    }
  });
});

/** `mlops train` flags for a small model named `name`, its artifacts in the fixture's folder. */
function trainArgs(name: string): string[] {
  return [
    ...["--data", cli.data, "--label", "label", "--trees", "5", "--name", name],
    ...["--artifacts", `${cli.root}/artifacts`, "--json"],
  ];
}
