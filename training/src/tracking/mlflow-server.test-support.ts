import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local MLflow tracking server for tests: it keeps experiments and runs in memory and checks
 * every request's method, path and body against MLflow's REST reference (2.0 API), recording any
 * deviation in `violations`.
 */
export class MlflowServer {
  readonly violations: string[] = [];
  readonly experiments = new Map<string, string>();
  readonly runs = new Map<
    string,
    {
      experiment_id: string;
      status: string;
      end_time?: number;
      params: Record<string, string>;
      tags: Record<string, string>;
      metrics: { key: string; value: number; step: number }[];
    }
  >();
  readonly calls: string[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  private fail(message: string): [number, unknown] {
    this.violations.push(message);
    return [400, { error_code: "INVALID_PARAMETER_VALUE", message }];
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "", "http://x");
    const endpoint = `${req.method} ${url.pathname}`;
    this.calls.push(endpoint);
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = text === "" ? {} : JSON.parse(text);
    const isInt = (v: unknown) => Number.isInteger(v);
    const isPairs = (v: unknown, max: number) =>
      Array.isArray(v) &&
      v.length <= max &&
      v.every((p) => typeof p.key === "string" && typeof p.value === "string");
    switch (endpoint) {
      case "GET /api/2.0/mlflow/experiments/get-by-name": {
        const name = url.searchParams.get("experiment_name");
        if (!name) return this.fail("experiments/get-by-name needs experiment_name");
        const id = this.experiments.get(name);
        return id
          ? [200, { experiment: { experiment_id: id, name, lifecycle_stage: "active" } }]
          : [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No experiment '${name}'` }];
      }
      case "POST /api/2.0/mlflow/experiments/create": {
        if (typeof body.name !== "string" || body.name === "")
          return this.fail("experiments/create needs name");
        if (this.experiments.has(body.name))
          return [400, { error_code: "RESOURCE_ALREADY_EXISTS", message: body.name }];
        const id = String(this.experiments.size + 1);
        this.experiments.set(body.name, id);
        return [200, { experiment_id: id }];
      }
      case "POST /api/2.0/mlflow/runs/create": {
        if (![...this.experiments.values()].includes(body.experiment_id))
          return this.fail("runs/create: unknown experiment_id");
        if (!isInt(body.start_time)) return this.fail("runs/create: start_time must be int64 ms");
        if (body.tags !== undefined && !isPairs(body.tags, Number.POSITIVE_INFINITY))
          return this.fail("runs/create: tags must be {key, value} strings");
        const runId = `r${this.runs.size + 1}`.padEnd(32, "0");
        const tags = Object.fromEntries(
          (body.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value]),
        );
        this.runs.set(runId, {
          experiment_id: body.experiment_id,
          status: "RUNNING",
          params: {},
          tags,
          metrics: [],
        });
        return [
          200,
          {
            run: {
              info: {
                run_id: runId,
                experiment_id: body.experiment_id,
                status: "RUNNING",
                start_time: body.start_time,
              },
              data: {},
            },
          },
        ];
      }
      case "POST /api/2.0/mlflow/runs/log-batch": {
        const run = this.runs.get(body.run_id);
        if (!run) return this.fail("runs/log-batch: unknown run_id");
        const metrics = body.metrics ?? [];
        const params = body.params ?? [];
        const tags = body.tags ?? [];
        if (!Array.isArray(metrics) || metrics.length > 1000)
          return this.fail("log-batch: at most 1000 metrics");
        if (!isPairs(params, 100))
          return this.fail("log-batch: at most 100 params of string values");
        if (!isPairs(tags, 100)) return this.fail("log-batch: at most 100 tags of string values");
        if (metrics.length + params.length + tags.length > 1000)
          return this.fail("log-batch: at most 1000 items");
        for (const m of metrics) {
          if (
            typeof m.key !== "string" ||
            typeof m.value !== "number" ||
            !isInt(m.timestamp) ||
            !isInt(m.step)
          ) {
            return this.fail("log-batch: a metric needs key, value, int64 timestamp and step");
          }
          run.metrics.push({ key: m.key, value: m.value, step: m.step });
        }
        for (const p of params) {
          if (p.key in run.params && run.params[p.key] !== p.value)
            return this.fail(`log-batch: param ${p.key} changed`);
          run.params[p.key] = p.value;
        }
        for (const t of tags) run.tags[t.key] = t.value;
        return [200, {}];
      }
      case "POST /api/2.0/mlflow/runs/update": {
        const run = this.runs.get(body.run_id);
        if (!run) return this.fail("runs/update: unknown run_id");
        if (!["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"].includes(body.status))
          return this.fail("runs/update: bad status");
        if (!isInt(body.end_time)) return this.fail("runs/update: end_time must be int64 ms");
        run.status = body.status;
        run.end_time = body.end_time;
        return [200, { run_info: { run_id: body.run_id, status: body.status } }];
      }
      default:
        this.violations.push(`unknown endpoint ${endpoint}`);
        return [404, { error_code: "ENDPOINT_NOT_FOUND", message: endpoint }];
    }
  }
}
