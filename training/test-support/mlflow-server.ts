import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How the test server behaves beyond plain MLflow. */
export interface MlflowServerOptions {
  /** A path before `/api/2.0/mlflow` (Azure ML's `/mlflow/v1.0/subscriptions/…/workspaces/<ws>`). */
  readonly prefix?: string;
  /** Require `Authorization: Bearer <token>` with one of these tokens (401 otherwise). */
  readonly tokens?: readonly string[];
  /** Whether `registered-models/alias` exists (Azure ML's MLflow layer has no aliases). */
  readonly aliases?: boolean;
  /**
   * Whether the server proxies artifacts (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`,
   * `mlflow server --serve-artifacts`, on by default since MLflow 2.0); Azure ML's endpoint does
   * not. @default true
   */
  readonly artifacts?: boolean;
  /** Most items one page of a search or history answers with, whatever `max_results` asks. */
  readonly pageSize?: number;
}

/** A registered model as the server holds it. */
export interface ServerRegisteredModel {
  tags: Record<string, string>;
  aliases: Record<string, string>;
  versions: {
    version: string;
    source: string;
    run_id?: string;
    description?: string;
    tags: Record<string, string>;
  }[];
}

/**
 * A local MLflow tracking server for tests: it keeps experiments, runs and registered models in
 * memory and checks every request's method, path and body (and, when configured, its bearer
 * token and path prefix) against MLflow's REST reference (2.0 API), recording any deviation in
 * `violations`.
 */
export class MlflowServer {
  readonly violations: string[] = [];
  readonly experiments = new Map<string, string>();
  readonly runs = new Map<
    string,
    {
      experiment_id: string;
      run_name: string;
      start_time: number;
      status: string;
      end_time?: number;
      params: Record<string, string>;
      tags: Record<string, string>;
      metrics: { key: string; value: number; step: number; timestamp: number }[];
    }
  >();
  readonly registeredModels = new Map<string, ServerRegisteredModel>();
  /** Files in the proxied artifact store, by path under its root. */
  readonly storedArtifacts = new Map<string, Buffer>();
  readonly calls: string[] = [];
  /** The bearer token of each request, in order ("" when none was sent). */
  readonly bearers: string[] = [];
  private server: Server | undefined;

  constructor(private readonly options: MlflowServerOptions = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${this.options.prefix ?? ""}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  /**
   * Why the server could not resolve a model version's `source`, or undefined when it can: a URI
   * of a scheme a registry resolves, and for its own artifact store, files at that path. A path
   * on the client's disk (no scheme) means nothing to the server.
   */
  private unresolvable(source: string): string | undefined {
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(source)?.[1];
    if (scheme === undefined)
      return `${source} is a path on the client, not a URI the server resolves`;
    if (scheme !== "mlflow-artifacts") return undefined;
    const root = source.slice("mlflow-artifacts:".length).replace(/^\/+/, "").replace(/\/+$/, "");
    const held = [...this.storedArtifacts.keys()].some((path) => path.startsWith(`${root}/`));
    return held ? undefined : `${source} holds no artifact`;
  }

  /**
   * One page of `items` from `pageToken` (an offset here; opaque to clients), of at most
   * `maxResults` (≤ `limit`) and the server's page size, or why the request is invalid.
   */
  private page<T>(
    items: readonly T[],
    maxResults: unknown,
    pageToken: unknown,
    limit: number,
  ): { items: T[]; next: { next_page_token?: string } } | string {
    const max = maxResults === undefined ? limit : Number(maxResults);
    if (!Number.isInteger(max) || max < 1 || max > limit)
      return `max_results must be in [1, ${limit}]`;
    const start = pageToken === undefined ? 0 : Number(pageToken);
    if (!Number.isInteger(start) || start < 0) return "page_token is not one this server gave";
    const end = start + Math.min(max, this.options.pageSize ?? max);
    return {
      items: items.slice(start, end),
      next: end < items.length ? { next_page_token: String(end) } : {},
    };
  }

  /** A run as `runs/get` and `runs/search` answer it: each metric's latest point only. */
  private runMessage(runId: string): unknown {
    const run = this.runs.get(runId)!;
    const latest = new Map<string, (typeof run.metrics)[number]>();
    for (const m of run.metrics) {
      const held = latest.get(m.key);
      if (!held || m.step > held.step || (m.step === held.step && m.timestamp >= held.timestamp))
        latest.set(m.key, m);
    }
    const pairs = (record: Record<string, string>) =>
      Object.entries(record).map(([key, value]) => ({ key, value }));
    return {
      info: {
        run_id: runId,
        experiment_id: run.experiment_id,
        run_name: run.run_name,
        status: run.status,
        start_time: run.start_time,
        ...(run.end_time === undefined ? {} : { end_time: run.end_time }),
        lifecycle_stage: "active",
      },
      data: {
        metrics: [...latest.values()],
        params: pairs(run.params),
        tags: pairs(run.tags),
      },
    };
  }

  private fail(message: string): [number, unknown] {
    this.violations.push(message);
    return [400, { error_code: "INVALID_PARAMETER_VALUE", message }];
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "", "http://x");
    const prefix = this.options.prefix ?? "";
    if (!url.pathname.startsWith(`${prefix}/api/`)) {
      this.violations.push(`path ${url.pathname} is not under ${prefix}/api/`);
      return [404, { error_code: "ENDPOINT_NOT_FOUND", message: url.pathname }];
    }
    const endpoint = `${req.method} ${url.pathname.slice(prefix.length)}`;
    this.calls.push(endpoint);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    this.bearers.push(bearer);
    if (this.options.tokens && !this.options.tokens.includes(bearer)) {
      this.violations.push(`${endpoint} without a valid bearer token`);
      return [401, { error_code: "UNAUTHENTICATED", message: "bad token" }];
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const artifactPut = /^PUT \/api\/2\.0\/mlflow-artifacts\/artifacts\/(.+)$/.exec(endpoint);
    if (artifactPut) {
      if (this.options.artifacts === false) {
        this.violations.push(`unknown endpoint ${endpoint.split(" ")[0]} mlflow-artifacts`);
        return [404, { error_code: "ENDPOINT_NOT_FOUND", message: "no artifact proxy" }];
      }
      const path = decodeURIComponent(artifactPut[1]!);
      if (path.split("/").some((part) => part === "" || part === "." || part === ".."))
        return this.fail(`mlflow-artifacts: bad path ${path}`);
      this.storedArtifacts.set(path, raw);
      return [200, {}];
    }
    const text = raw.toString("utf8");
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
          run_name: body.run_name ?? "",
          start_time: body.start_time,
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
          run.metrics.push({ key: m.key, value: m.value, step: m.step, timestamp: m.timestamp });
        }
        for (const p of params) {
          if (p.key in run.params && run.params[p.key] !== p.value)
            return this.fail(`log-batch: param ${p.key} changed`);
          run.params[p.key] = p.value;
        }
        for (const t of tags) run.tags[t.key] = t.value;
        return [200, {}];
      }
      case "GET /api/2.0/mlflow/experiments/get": {
        const id = url.searchParams.get("experiment_id");
        const name = [...this.experiments].find(([, e]) => e === id)?.[0];
        return name === undefined
          ? [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No experiment ${id}` }]
          : [200, { experiment: { experiment_id: id, name, lifecycle_stage: "active" } }];
      }
      case "POST /api/2.0/mlflow/experiments/search": {
        const experiments = [...this.experiments].map(([name, id]) => ({
          experiment_id: id,
          name,
          lifecycle_stage: "active",
        }));
        const page = this.page(experiments, body.max_results, body.page_token, 50_000);
        return typeof page === "string"
          ? this.fail(`experiments/search: ${page}`)
          : [200, { experiments: page.items, ...page.next }];
      }
      case "GET /api/2.0/mlflow/runs/get": {
        const runId = url.searchParams.get("run_id") ?? "";
        const run = this.runs.get(runId);
        return run === undefined
          ? [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Run '${runId}' not found` }]
          : [200, { run: this.runMessage(runId) }];
      }
      case "POST /api/2.0/mlflow/runs/search": {
        const ids = body.experiment_ids;
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string"))
          return this.fail("runs/search: experiment_ids must be strings");
        // MLflow's default order: the newest run first.
        const matching = [...this.runs]
          .filter(([, run]) => ids.includes(run.experiment_id))
          .sort(([, a], [, b]) => b.start_time - a.start_time)
          .map(([runId]) => this.runMessage(runId));
        const page = this.page(matching, body.max_results, body.page_token, 50_000);
        return typeof page === "string"
          ? this.fail(`runs/search: ${page}`)
          : [200, { runs: page.items, ...page.next }];
      }
      case "GET /api/2.0/mlflow/metrics/get-history": {
        const run = this.runs.get(url.searchParams.get("run_id") ?? "");
        const key = url.searchParams.get("metric_key");
        if (!run || !key)
          return this.fail("metrics/get-history needs a known run_id and metric_key");
        const points = run.metrics.filter((m) => m.key === key);
        const page = this.page(
          points,
          url.searchParams.get("max_results") ?? undefined,
          url.searchParams.get("page_token") ?? undefined,
          25_000,
        );
        return typeof page === "string"
          ? this.fail(`metrics/get-history: ${page}`)
          : [200, { metrics: page.items, ...page.next }];
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
      case "POST /api/2.0/mlflow/registered-models/create": {
        if (typeof body.name !== "string" || body.name === "")
          return this.fail("registered-models/create needs name");
        if (this.registeredModels.has(body.name))
          return [400, { error_code: "RESOURCE_ALREADY_EXISTS", message: body.name }];
        this.registeredModels.set(body.name, { tags: {}, aliases: {}, versions: [] });
        return [200, { registered_model: { name: body.name } }];
      }
      case "POST /api/2.0/mlflow/model-versions/create": {
        const model = this.registeredModels.get(body.name);
        if (!model) return [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: body.name }];
        if (typeof body.source !== "string" || body.source === "")
          return this.fail("model-versions/create needs source");
        const unresolvable = this.unresolvable(body.source);
        if (unresolvable) return this.fail(`model-versions/create: source ${unresolvable}`);
        if (body.run_id !== undefined && typeof body.run_id !== "string")
          return this.fail("model-versions/create: run_id must be a string");
        if (body.description !== undefined && typeof body.description !== "string")
          return this.fail("model-versions/create: description must be a string");
        if (body.tags !== undefined && !isPairs(body.tags, Number.POSITIVE_INFINITY))
          return this.fail("model-versions/create: tags must be {key, value} strings");
        const version = String(model.versions.length + 1);
        const tags = Object.fromEntries(
          (body.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value]),
        );
        model.versions.push({
          version,
          source: body.source,
          run_id: body.run_id,
          description: body.description,
          tags,
        });
        return [200, { model_version: { name: body.name, version, source: body.source } }];
      }
      case "GET /api/2.0/mlflow/model-versions/search": {
        const name = /^name='([^']*)'$/.exec(url.searchParams.get("filter") ?? "")?.[1];
        if (name === undefined) return this.fail("model-versions/search: filter must be name='…'");
        const max = Number(url.searchParams.get("max_results") ?? "200");
        if (!Number.isInteger(max) || max < 1 || max > 200_000)
          return this.fail("model-versions/search: bad max_results");
        const all = this.registeredModels.get(name)?.versions ?? [];
        const start = Number(url.searchParams.get("page_token") ?? "0");
        const page = all.slice(start, start + max);
        return [
          200,
          {
            model_versions: page.map((v) => ({
              name,
              version: v.version,
              tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })),
            })),
            ...(start + max < all.length ? { next_page_token: String(start + max) } : {}),
          },
        ];
      }
      case "POST /api/2.0/mlflow/registered-models/alias": {
        if (this.options.aliases === false) break;
        const model = this.registeredModels.get(body.name);
        if (!model) return [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: body.name }];
        if (typeof body.alias !== "string" || typeof body.version !== "string")
          return this.fail("registered-models/alias needs alias and version strings");
        if (!model.versions.some((v) => v.version === body.version))
          return [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: body.version }];
        model.aliases[body.alias] = body.version;
        return [200, {}];
      }
      case "POST /api/2.0/mlflow/registered-models/set-tag": {
        const model = this.registeredModels.get(body.name);
        if (!model) return [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: body.name }];
        if (typeof body.key !== "string" || typeof body.value !== "string")
          return this.fail("registered-models/set-tag needs key and value strings");
        model.tags[body.key] = body.value;
        return [200, {}];
      }
    }
    // Unknown endpoints, and those this server was told it lacks (Azure ML's aliases).
    this.violations.push(`unknown endpoint ${endpoint}`);
    return [404, { error_code: "ENDPOINT_NOT_FOUND", message: endpoint }];
  }
}
