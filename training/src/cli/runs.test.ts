import { join } from "node:path";
import type { RunInput } from "@mlops/contracts";
import type { Store } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { useCliFixture, withSqlite } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { MlflowRestClient } from "../tracking/mlflow-client.js";

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
    const text = (await cli.run(["runs", "show", trained.run_id])).stdout;
    expect(text).toMatch(new RegExp(`^run {9}${trained.run_id}\nname {8}.+\nexperiment  listed\n`));
    expect(text).toMatch(/^ {2}accuracy +\d/m);
  });

  it("lists runs newest first, as MLflow does: start time descending, then run id", async () => {
    const own = ownStore("order.db");
    await own.withStore(async (store) => {
      for (const [run_id, start_time] of [
        ["r-old", 1000],
        ["r-mid-b", 2000],
        ["r-new", 3000],
        ["r-mid-a", 2000],
      ] as const) {
        await store.runs.create(run(run_id, "order", start_time));
      }
    });
    const newest = ["r-new", "r-mid-a", "r-mid-b", "r-old"];
    for (const filter of [[], ["--experiment", "order"]]) {
      const listed = JSON.parse((await own.run(["runs", "list", ...filter, "--json"])).stdout);
      expect(listed.map((r: { run_id: string }) => r.run_id)).toEqual(newest);
    }
    const text = (await own.run(["runs", "list"])).stdout;
    expect(text.split("\n").map((line) => line.split("\t")[0])).toEqual([...newest, ""]);
  });

  it("refuses an experiment that does not exist, naming those that do", async () => {
    const own = ownStore("experiments.db");
    const listNosuch = async (json: string[] = []) => {
      const r = await own.run(["runs", "list", "--experiment", "nosuch", ...json]);
      return [r.code, r.stdout, r.stderr];
    };
    const refusal = (known: string) => [
      1,
      "",
      `error: --experiment names no experiment: ${known} (got "nosuch")\n`,
    ];

    expect(await listNosuch()).toEqual(refusal("there is none yet"));
    // Nothing tracked at all is said, not printed as nothing.
    expect((await own.run(["runs", "list"])).stdout).toBe("no runs are tracked yet\n");
    expect((await own.run(["runs", "list", "--json"])).stdout).toBe("[]\n");

    // The store's experiments are its runs' (it keeps none without runs), by their newest run.
    await own.withStore(async (store) => {
      await store.runs.create(run("a-1", "alpha", 1000));
      await store.runs.create(run("b-1", "beta", 2000));
      await store.runs.create(run("a-2", "alpha", 500));
    });
    expect(await listNosuch()).toEqual(refusal("the experiments are beta, alpha"));
    expect(await listNosuch(["--json"])).toEqual(refusal("the experiments are beta, alpha"));

    // Of many, the ten whose newest runs are newest.
    await own.withStore(async (store) => {
      for (let i = 1; i <= 11; i++) {
        await store.runs.create(run(`e-${i}`, `exp${String(i).padStart(2, "0")}`, 10_000 + i));
      }
    });
    expect(await listNosuch()).toEqual(
      refusal(
        "the 10 most recent of the 13 experiments are exp11, exp10, exp09, exp08, exp07, exp06, exp05, exp04, exp03, exp02",
      ),
    );
  });

  it("shows a run as aligned key-value text, and as the run's JSON with --json", async () => {
    const own = ownStore("show.db");
    const start = Date.UTC(2023, 10, 14, 22, 13, 20);
    const stored = await own.withStore(async (store) => {
      await store.runs.create({
        ...run("shown-1", "shown", start),
        run_name: "nightly",
        params: { seed: 7, n_estimators: "5" },
        tags: { "mlops.model": "shown@1", empty: "", note: "two\nlines" },
      });
      await store.runs.logMetrics("shown-1", [
        { key: "log_loss", value: 0.3, step: 0, timestamp: start },
        { key: "accuracy", value: 0.5, step: 0, timestamp: start },
        { key: "accuracy", value: 0.75, step: 1, timestamp: start },
      ]);
      await store.runs.addArtifacts("shown-1", [
        { path: "model", uri: "file:///artifacts/shown/model.json" },
      ]);
      await store.runs.finish("shown-1", "FINISHED", start + 83_000);
      await store.runs.create({ ...run("shown-2", "shown", start), parent_run_id: "shown-1" });
      return store.runs.get("shown-1");
    });

    const shown = await own.run(["runs", "show", "shown-1"]);
    expect([shown.code, shown.stdout]).toEqual([
      0,
      [
        "run         shown-1",
        "name        nightly",
        "experiment  shown",
        "parent      -",
        "status      FINISHED",
        "start       2023-11-14T22:13:20.000Z",
        "end         2023-11-14T22:14:43.000Z",
        "duration    1 min 23 s",
        "params",
        "  n_estimators  5",
        "  seed          7",
        "metrics",
        "  accuracy  0.75 (step 1, 2 points)",
        "  log_loss  0.3",
        "tags",
        '  empty        ""',
        "  mlops.model  shown@1",
        '  note         "two\\nlines"',
        "artifacts",
        "  model  file:///artifacts/shown/model.json",
        "",
      ].join("\n"),
    ]);
    expect((await own.run(["runs", "show", "shown-2"])).stdout).toBe(
      [
        "run         shown-2",
        "name        -",
        "experiment  shown",
        "parent      shown-1",
        "status      RUNNING",
        "start       2023-11-14T22:13:20.000Z",
        "end         -",
        "duration    -",
        "params      -",
        "metrics     -",
        "tags        -",
        "artifacts   -",
        "",
      ].join("\n"),
    );
    const json = await own.run(["runs", "show", "shown-1", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(stored);
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
      // Newest first, as MLflow's own listings.
      expect(all.map((r: { run_id: string }) => r.run_id)).toEqual([second.run_id, first.run_id]);
      expect(all[1]).toMatchObject({
        experiment_name: "remote",
        status: "FINISHED",
        parent_run_id: null,
        params: { n_estimators: "5" },
        metrics: { accuracy: [{ value: first.metrics.accuracy }] },
      });
      const text = (await cli.run(["runs", "list", "--experiment", "other"], env)).stdout;
      expect(text).toBe(
        `${second.run_id}\tother\tFINISHED\t${new Date(all[0].start_time).toISOString()}\taccuracy ${second.metrics.accuracy.toFixed(4)}\n`,
      );
      // An experiment created on the server without runs lists as empty; one the server does
      // not have is refused, naming those it has, runs or none, in the server's order.
      await new MlflowRestClient(uri).call("POST", "experiments/create", { name: "empty" });
      const empty = async (...json: string[]) => {
        const r = await cli.run(["runs", "list", "--experiment", "empty", ...json], env);
        return [r.code, r.stdout, r.stderr];
      };
      expect(await empty("--json")).toEqual([0, "[]\n", ""]);
      expect(await empty()).toEqual([0, "experiment empty has no runs yet\n", ""]);
      for (const json of [[], ["--json"]]) {
        const none = await cli.run(["runs", "list", "--experiment", "nowhere", ...json], env);
        expect([none.code, none.stdout, none.stderr]).toEqual([
          1,
          "",
          'error: --experiment names no experiment: the experiments are remote, other, empty (got "nowhere")\n',
        ]);
      }

      const shown = JSON.parse(
        (await cli.run(["runs", "show", first.run_id, "--json"], env)).stdout,
      );
      expect(shown).toMatchObject({ run_id: first.run_id, experiment_name: "remote" });
      expect(shown.tags["mlops.model"]).toBe("remote@1");
      const shownText = (await cli.run(["runs", "show", first.run_id], env)).stdout;
      expect(shownText).toMatch(/^experiment {2}remote$/m);
      expect(shownText).toMatch(/^ {2}mlops\.model +remote@1$/m);
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

/** `mlops argv` against a store of its own, `file` in the fixture's folder, and that store. */
function ownStore(file: string) {
  const path = join(cli.root, file);
  return {
    run: (argv: string[]) => cli.run(argv, { MLOPS_STORE: `sqlite:${path}` }),
    withStore: <T>(fn: (store: Store) => Promise<T>) => withSqlite(path, fn),
  };
}

/** A run of `experiment` started at `start_time`, with nothing logged. */
function run(run_id: string, experiment: string, start_time: number): RunInput {
  return { run_id, experiment_name: experiment, start_time };
}

/** `mlops train` flags for a small model named `name`, its artifacts in the fixture's folder. */
function trainArgs(name: string): string[] {
  return [
    ...["--data", cli.data, "--label", "label", "--trees", "5", "--name", name],
    ...["--artifacts", `${cli.root}/artifacts`, "--json"],
  ];
}
