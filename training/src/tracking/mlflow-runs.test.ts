import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { MlflowTracker } from "./mlflow.js";
import { MlflowRestClient } from "./mlflow-client.js";
import { MlflowRunReader } from "./mlflow-runs.js";

// Pages of two items, so every listing and history has to follow MLflow's page tokens.
const mlflow = new MlflowServer({ pageSize: 2 });
let client: MlflowRestClient;
beforeAll(async () => {
  client = new MlflowRestClient(await mlflow.start());
});
afterAll(() => mlflow.stop());

describe("MlflowRunReader", () => {
  it("reads back what the tracker wrote, as the store shows runs", async () => {
    const tracker = new MlflowTracker(client);
    const parent = await tracker.create({
      run_id: "p",
      experiment_name: "read",
      run_name: "sweep",
      start_time: 2000,
      params: { trees: 5 },
      tags: { "mlops.kind": "sweep" },
    });
    const child = await tracker.create({
      run_id: "c",
      experiment_name: "read",
      parent_run_id: parent.run_id,
      start_time: 1000,
    });
    const other = await tracker.create({ run_id: "o", experiment_name: "else", start_time: 3000 });
    const points = [3, 1, 2, 0, 4].map((step) => ({
      key: "accuracy",
      value: step / 10,
      step,
      timestamp: 5000 + step,
    }));
    await tracker.logMetrics(parent.run_id, points);
    await tracker.addArtifacts(parent.run_id, [{ path: "model", uri: "/m/model" }]);
    await tracker.finish(parent.run_id, "FINISHED", 9000);
    const reader = new MlflowRunReader(client);

    const got = await reader.get(parent.run_id);
    expect(got).toEqual({
      run_id: parent.run_id,
      experiment_name: "read",
      run_name: "sweep",
      parent_run_id: null,
      start_time: 2000,
      end_time: 9000,
      status: "FINISHED",
      params: { trees: "5" },
      tags: { "mlops.kind": "sweep" },
      // The whole history, by step, over pages of get-history.
      metrics: { accuracy: [0, 1, 2, 3, 4].map((step) => expect.objectContaining({ step })) },
      artifacts: [{ path: "model", uri: "/m/model" }],
    });
    expect(await reader.get("nope")).toBeNull();

    // Oldest first, across pages of runs and of experiments; each metric's latest point.
    const listed = await reader.list();
    expect(listed.map((r) => r.run_id)).toEqual([child.run_id, parent.run_id, other.run_id]);
    expect(listed[0]).toMatchObject({ parent_run_id: parent.run_id, status: "RUNNING" });
    expect(listed[1]?.metrics).toEqual({
      accuracy: [{ key: "accuracy", value: 0.4, step: 4, timestamp: 5004 }],
    });
    const read = await reader.list({ experimentName: "read" });
    expect(read.map((r) => r.run_id)).toEqual([child.run_id, parent.run_id]);
    expect(await reader.list({ experimentName: "missing" })).toEqual([]);
    expect(mlflow.violations).toEqual([]);
    expect(mlflow.calls).toContain("GET /api/2.0/mlflow/metrics/get-history");
  });

  it("names every experiment, those without runs too, across pages of experiments/search", async () => {
    const tracker = new MlflowTracker(client);
    await tracker.create({ run_id: "n", experiment_name: "named", start_time: 1 });
    await client.call("POST", "experiments/create", { name: "idle" });
    const reader = new MlflowRunReader(client);

    // The server's order: here, as created (the first test's experiments first).
    expect(await reader.experimentNames()).toEqual(["read", "else", "named", "idle"]);
    expect(await reader.list({ experimentName: "idle" })).toEqual([]);
    expect(mlflow.violations).toEqual([]);
  });

  it("asks experiments/search as MLflow's REST API has it, until next_page_token is empty", async () => {
    const bodies: unknown[] = [];
    const pages: Record<string, unknown> = {
      "": { experiments: [{ experiment_id: "0", name: "Default" }], next_page_token: "t1" },
      // MLflow's last page: an empty token (REST API reference, SearchExperiments.Response).
      t1: { experiments: [{ experiment_id: "4", name: "fresh" }], next_page_token: "" },
    };
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        bodies.push({ call: `${req.method} ${req.url}`, body });
        const page = pages[body.page_token ?? ""];
        res.writeHead(page ? 200 : 400, { "content-type": "application/json" });
        res.end(JSON.stringify(page ?? { error_code: "INVALID_PARAMETER_VALUE" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reader = new MlflowRunReader(new MlflowRestClient(`http://127.0.0.1:${port}`));
      expect(await reader.experimentNames()).toEqual(["Default", "fresh"]);
      expect(bodies).toEqual([
        { call: "POST /api/2.0/mlflow/experiments/search", body: { max_results: 1000 } },
        {
          call: "POST /api/2.0/mlflow/experiments/search",
          body: { max_results: 1000, page_token: "t1" },
        },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reads protobuf's NaN and a scheduled run, and names a server that is no MLflow", async () => {
    const answers: Record<string, unknown> = {
      "/api/2.0/mlflow/runs/get": {
        run: {
          info: { run_id: "q", experiment_id: "1", status: "SCHEDULED", start_time: 1 },
          data: { metrics: [{ key: "loss", value: "NaN", timestamp: 2, step: 0 }] },
        },
      },
      "/api/2.0/mlflow/experiments/get": { experiment: { experiment_id: "1", name: "queued" } },
      "/api/2.0/mlflow/metrics/get-history": {
        metrics: [{ key: "loss", value: "NaN", timestamp: 2, step: 0 }],
      },
      "/api/2.0/mlflow/experiments/search": { experiments: [{ experiment_id: "1", name: "x" }] },
      "/api/2.0/mlflow/runs/search": { runs: [{ info: { run_id: "q" } }] },
    };
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answers[new URL(req.url ?? "", "http://x").pathname] ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reader = new MlflowRunReader(new MlflowRestClient(`http://127.0.0.1:${port}`));
      const run = await reader.get("q");
      expect(run).toMatchObject({ status: "RUNNING", end_time: null, experiment_name: "queued" });
      expect(run?.metrics.loss?.[0]?.value).toBeNaN();
      await expect(reader.list()).rejects.toThrow(
        /answered POST runs\/search with HTTP 200 .*: not an MLflow response \(runs\.0\.info\.experiment_id: /,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fails a search answered with nothing or with no JSON, rather than list no runs", async () => {
    let runsAnswer = "";
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? "", "http://x").pathname;
      if (path === "/api/2.0/mlflow/experiments/search") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ experiments: [{ experiment_id: "1", name: "e" }] }));
      }
      // runs/search and runs/get: a proxy's empty 200, or a page.
      res.writeHead(200, { "content-type": "text/html" }).end(runsAnswer);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const reader = new MlflowRunReader(new MlflowRestClient(base));
      await expect(reader.list()).rejects.toThrow(
        `the tracking server at ${base} (MLFLOW_TRACKING_URI) answered POST runs/search with HTTP 200 "": not an MLflow response (body: is empty)`,
      );
      await expect(reader.get("r")).rejects.toThrow(
        /answered GET runs\/get with HTTP 200 "": not an MLflow response \(body: is empty\)$/,
      );
      runsAnswer = "<html>Sign in</html>";
      await expect(reader.list()).rejects.toThrow(
        `answered POST runs/search with HTTP 200 "<html>Sign in</html>": not an MLflow response (body: is not JSON)`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("stops a server that hands out a page token again, and fetches histories a few at a time", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `m${i}`);
    let inFlight = 0;
    let most = 0;
    const pages: Record<string, () => unknown> = {
      "/api/2.0/mlflow/runs/get": () => ({
        run: {
          info: { run_id: "r", experiment_id: "1", status: "FINISHED", start_time: 1 },
          data: { metrics: keys.map((key) => ({ key, value: 1, timestamp: 2 })) },
        },
      }),
      "/api/2.0/mlflow/experiments/get": () => ({ experiment: { experiment_id: "1", name: "e" } }),
      "/api/2.0/mlflow/metrics/get-history": () => ({ metrics: [] }),
      "/api/2.0/mlflow/experiments/search": () => ({
        experiments: [{ experiment_id: "1", name: "e" }],
        next_page_token: "SAME",
      }),
    };
    const server = createServer((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      // Answered a little later, so requests sent together overlap.
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(pages[new URL(req.url ?? "", "http://x").pathname]?.() ?? {}));
      }, 5);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reader = new MlflowRunReader(new MlflowRestClient(`http://127.0.0.1:${port}`));
      await expect(reader.list()).rejects.toThrow(
        'MLflow POST experiments/search: next_page_token "SAME" was already given; the server pages in a loop',
      );
      expect(Object.keys((await reader.get("r"))?.metrics ?? {})).toEqual([]);
      expect(most).toBeLessThanOrEqual(8);
      expect(most).toBeGreaterThan(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
