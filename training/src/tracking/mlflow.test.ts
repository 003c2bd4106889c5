import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { openSqliteStore } from "@mlops/store";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { OptionError } from "../errors.js";
import { MlflowTracker } from "./mlflow.js";
import { MlflowError, MlflowRestClient } from "./mlflow-client.js";
import { MlflowRunReader } from "./mlflow-runs.js";
import { selectRunReader, selectTracking } from "./select.js";

const mlflow = new MlflowServer();
let uri: string;
beforeAll(async () => {
  uri = await mlflow.start();
});
afterAll(() => mlflow.stop());
beforeEach(() => {
  mlflow.violations.length = 0;
});

describe("MlflowTracker", () => {
  it("creates experiments and runs, and logs in batches within MLflow's limits", async () => {
    const tracker = new MlflowTracker(new MlflowRestClient(uri));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    const run = await tracker.create({
      run_id: "ours",
      experiment_name: "limits",
      run_name: "big",
      start_time: 1000,
      params,
      tags: { a: "1" },
    });
    expect(run.run_id).not.toBe("ours");
    const child = await tracker.create({
      run_id: "x",
      experiment_name: "limits",
      parent_run_id: run.run_id,
      start_time: 1001,
    });
    await tracker.logMetrics(
      run.run_id,
      Array.from({ length: 1500 }, (_, i) => ({
        key: "loss",
        value: 1 / (i + 1),
        step: i,
        timestamp: 2000,
      })),
    );
    await tracker.addArtifacts(run.run_id, [{ path: "model", uri: "/tmp/model" }]);
    await tracker.finish(run.run_id, "FINISHED", 3000);

    expect(mlflow.violations).toEqual([]);
    expect(mlflow.experiments.get("limits")).toBeDefined();
    const stored = mlflow.runs.get(run.run_id)!;
    expect(Object.keys(stored.params)).toHaveLength(150);
    expect(stored.params.p7).toBe("7");
    expect(stored.metrics).toHaveLength(1500);
    expect(stored.tags).toMatchObject({
      a: "1",
      "mlflow.runName": "big",
      "mlops.artifact.model": "/tmp/model",
    });
    expect([stored.status, stored.end_time]).toEqual(["FINISHED", 3000]);
    expect(mlflow.runs.get(child.run_id)!.tags["mlflow.parentRunId"]).toBe(run.run_id);
    // One experiment lookup-or-create per name, then reuse.
    expect(mlflow.calls.filter((c) => c.includes("experiments/create"))).toHaveLength(1);
  });

  it("turns MLflow errors into MlflowError with the error code", async () => {
    const tracker = new MlflowTracker(new MlflowRestClient(uri));
    const error = await tracker.finish("no-such-run", "FINISHED", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect((error as MlflowError).errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect((error as MlflowError).message).toMatch(
      /^MLflow POST runs\/update: INVALID_PARAMETER_VALUE/,
    );
  });
});

describe("MlflowRestClient", () => {
  it("names the server and the reason when it cannot be reached or does not answer", async () => {
    // A port that refuses connections: listened on once, then closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const refused = new MlflowRestClient(`http://127.0.0.1:${port}`);
    await expect(refused.call("GET", "experiments/get-by-name?experiment_name=x")).rejects.toThrow(
      `MLflow GET experiments/get-by-name: cannot reach the tracking server http://127.0.0.1:${port} (MLFLOW_TRACKING_URI): connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    // A server that takes the request and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const slow = new MlflowRestClient(base, undefined, 200);
      await expect(slow.call("POST", "runs/create", {})).rejects.toThrow(
        `MLflow POST runs/create: cannot reach the tracking server ${base} (MLFLOW_TRACKING_URI): it did not answer within 0.2 s`,
      );
      // An upload's deadline grows by 1 ms a kB it sends.
      await expect(slow.uploadArtifact("m/model.json", new Uint8Array(300_000))).rejects.toThrow(
        /^MLflow PUT mlflow-artifacts\/artifacts\/m\/model\.json: cannot reach .* it did not answer within 0\.5 s$/,
      );
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("says an answer cut off mid-body was cut off, not that the server cannot be reached", async () => {
    const cutting = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).write('{"runs":');
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((resolve) => cutting.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(cutting.address() as AddressInfo).port}`;
    try {
      await expect(new MlflowRestClient(base).call("POST", "runs/search", {})).rejects.toThrow(
        `MLflow POST runs/search: the tracking server ${base} (MLFLOW_TRACKING_URI) answered HTTP 200, and the answer was cut off mid-body: other side closed`,
      );
    } finally {
      await new Promise((resolve) => cutting.close(resolve));
    }
  });
});

describe("an answer that is no MLflow server's", () => {
  /** A server on loopback answering every call `status` with `body` as `type`. */
  async function answering(
    type: string,
    body: string,
    status = 200,
  ): Promise<[string, () => Promise<void>]> {
    const server = createServer((_req, res) =>
      res.writeHead(status, { "content-type": type }).end(body),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return [base, () => new Promise((resolve) => server.close(() => resolve()))];
  }

  it("names the server, the endpoint and the field instead of reading undefined", async () => {
    const [base, close] = await answering("application/json", "{}");
    try {
      const tracker = new MlflowTracker(new MlflowRestClient(base));
      await expect(
        tracker.create({ run_id: "x", experiment_name: "e", start_time: 1 }),
      ).rejects.toThrow(
        `the tracking server at ${base} (MLFLOW_TRACKING_URI) answered GET experiments/get-by-name with HTTP 200 "{}": not an MLflow response (experiment: Invalid input: expected object, received undefined)`,
      );
    } finally {
      await close();
    }
  });

  it("refuses an HTML page, even where the answer carries nothing", async () => {
    const page = "<html><body>Sign in to continue</body></html>";
    const [base, close] = await answering("text/html", page);
    try {
      const tracker = new MlflowTracker(new MlflowRestClient(base));
      await expect(tracker.finish("r-1", "FINISHED", 2)).rejects.toThrow(
        `the tracking server at ${base} (MLFLOW_TRACKING_URI) answered POST runs/update with HTTP 200 ${JSON.stringify(page)}: not an MLflow response (body: is not JSON)`,
      );
    } finally {
      await close();
    }
  });

  it("takes an empty answer where the answer carries nothing", async () => {
    const [base, close] = await answering("application/json", "");
    try {
      await expect(
        new MlflowTracker(new MlflowRestClient(base)).finish("r-1", "FINISHED", 2),
      ).resolves.toBeUndefined();
    } finally {
      await close();
    }
  });

  it("fails a gateway's error page as an MlflowError coded by its status, quoting the page", async () => {
    const page = "<html><body>Bad gateway</body></html>";
    const [base, close] = await answering("text/html", page, 502);
    try {
      const error = await new MlflowTracker(new MlflowRestClient(base))
        .finish("r-1", "FINISHED", 2)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MlflowError);
      expect([(error as MlflowError).status, (error as MlflowError).errorCode]).toEqual([
        502,
        "HTTP_502",
      ]);
      expect((error as MlflowError).message).toBe(`MLflow POST runs/update: HTTP_502: ${page}`);
    } finally {
      await close();
    }
  });

  it("names the field of a run MLflow would always send", async () => {
    const [base, close] = await answering(
      "application/json",
      JSON.stringify({ experiment: { experiment_id: "1" }, run: { info: {} } }),
    );
    try {
      const tracker = new MlflowTracker(new MlflowRestClient(base));
      await expect(
        tracker.create({ run_id: "x", experiment_name: "e", start_time: 1 }),
      ).rejects.toThrow(
        /answered POST runs\/create with HTTP 200 .*: not an MLflow response \(run\.info\.run_id: Invalid input: expected string, received undefined\)$/,
      );
    } finally {
      await close();
    }
  });
});

describe("selectTracking", () => {
  it("picks the store, an MLflow server, or names a bad MLFLOW_TRACKING_URI", async () => {
    const store = openSqliteStore(":memory:");
    try {
      expect(selectTracking({}, store)).toEqual({ tracker: store.runs, mirror: null });
      const server = selectTracking({ MLFLOW_TRACKING_URI: uri }, store);
      expect(server.tracker).toBeInstanceOf(MlflowTracker);
      expect(server.mirror).not.toBeNull();
      // The store's reader: its runs, and their experiments by their newest run.
      for (const [run_id, experiment_name, start_time] of [
        ["a-1", "alpha", 1000],
        ["b-1", "beta", 2000],
        ["a-2", "alpha", 3000],
      ] as const) {
        await store.runs.create({ run_id, experiment_name, start_time });
      }
      const stored = selectRunReader({}, store);
      expect(await stored.list({ experimentName: "alpha" })).toEqual(
        await store.runs.list({ experimentName: "alpha" }),
      );
      expect(await stored.get("b-1")).toEqual(await store.runs.get("b-1"));
      expect(await stored.experimentNames()).toEqual(["alpha", "beta"]);
      expect(selectRunReader({ MLFLOW_TRACKING_URI: uri }, store)).toBeInstanceOf(MlflowRunReader);
      const bad = () => selectTracking({ MLFLOW_TRACKING_URI: "file:///tmp/mlruns" }, store);
      expect(bad).toThrow(OptionError);
      expect(bad).toThrow(/^MLFLOW_TRACKING_URI must be unset/);
    } finally {
      await store.close();
    }
  });
});
