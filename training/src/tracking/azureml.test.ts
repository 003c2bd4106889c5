import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import type { ModelVersion } from "@mlops/contracts";
import {
  type ManifestFields,
  MODEL_FILE,
  modelManifest,
  sha256,
  writeArtifact,
} from "@mlops/models";
import { readDemoFixture } from "@mlops/models/test-support";
import { openSqliteStore } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { OptionError } from "../errors.js";
import { JOB_OUTPUT_ENV, JobOutputArtifacts, MlflowArtifactStore } from "./artifact-publisher.js";
import { AZURE_ML_MLFLOW_SCOPE, azureMlTrackingUrl } from "./azureml.js";
import { MlflowTracker } from "./mlflow.js";
import { BearerTokenSource, MlflowRestClient } from "./mlflow-client.js";
import { MlflowRegistryMirror } from "./mlflow-registry.js";
import { selectTracking } from "./select.js";

const WORKSPACE =
  "/mlflow/v1.0/subscriptions/0000-sub/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-1";

/** A scratch folder per test file: artifact roots and a job's mounted output. */
let scratch: string;
/** The demo forest's manifest fields, which every model folder written here reuses. */
let manifestFields: ManifestFields;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "mlops-mirror-"));
  const [{ manifest }] = await readDemoFixture();
  const { format_version, model_file, model_sha256, ...fields } = manifest!;
  manifestFields = fields;
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/**
 * Writes a model folder as training does (`<root>/<run>/model/`: model file, manifest and card,
 * the manifest the demo forest's with this run and model); returns its model file.
 */
async function modelFiles(root: string, run: string, model: string): Promise<string> {
  const folder = join(scratch, root, run, "model");
  await rm(folder, { recursive: true, force: true });
  await writeArtifact(folder, {
    manifest: modelManifest({ ...manifestFields, run_id: run }, model),
    model,
    card: `# ${model}\n`,
  });
  return join(folder, MODEL_FILE);
}

function version(name: string, n: number, runId: string | null, uri: string): ModelVersion {
  return {
    name,
    version: n,
    kind: "classifier",
    run_id: runId,
    data_hash: "d".repeat(64),
    git_sha: null,
    params: {},
    metrics: { accuracy: 0.9 },
    artifact: { uri, sha256: sha256(readFileSync(uri)) },
    description: `v${n}`,
    created_at: 1,
    status: "READY",
    aliases: [],
  };
}

/** An Entra ID credential double: hands out the given tokens in turn and records the scopes. */
function credential(tokens: AccessToken[]): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken: async (scope) => {
      scopes.push(String(scope));
      const next = tokens.shift();
      if (!next) throw new Error("no more tokens");
      return next;
    },
  };
}

describe("azureMlTrackingUrl", () => {
  it("maps a workspace's azureml:// tracking URI to the same host and path over https", () => {
    expect(azureMlTrackingUrl(`azureml://westeurope.api.azureml.ms${WORKSPACE}`)).toBe(
      `https://westeurope.api.azureml.ms${WORKSPACE}`,
    );
    expect(azureMlTrackingUrl(`azureml://eastus2.api.azureml.ms${WORKSPACE}/`)).toBe(
      `https://eastus2.api.azureml.ms${WORKSPACE}`,
    );
  });

  it("names the variable and the expected shape for anything else", () => {
    for (const bad of [
      "azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/s/resourceGroups/rg",
      `azureml://${WORKSPACE}`,
      `azureml://eastus.api.azureml.ms${WORKSPACE}/experiments/1`,
    ]) {
      expect(() => azureMlTrackingUrl(bad)).toThrow(OptionError);
      expect(() => azureMlTrackingUrl(bad)).toThrow(
        /^MLFLOW_TRACKING_URI must be a workspace tracking URI: azureml:\/\/<region>/,
      );
    }
  });

  it("is what selectTracking uses for azureml://, with the injected credential", async () => {
    const store = openSqliteStore(":memory:");
    try {
      const tracking = selectTracking(
        { MLFLOW_TRACKING_URI: `azureml://eastus.api.azureml.ms${WORKSPACE}` },
        store,
        credential([]),
      );
      expect(tracking.tracker).toBeInstanceOf(MlflowTracker);
      expect(tracking.mirror).toBeInstanceOf(MlflowRegistryMirror);
      expect(() =>
        selectTracking({ MLFLOW_TRACKING_URI: "azureml://nowhere" }, store, credential([])),
      ).toThrow(OptionError);
    } finally {
      await store.close();
    }
  });
});

describe("the Azure ML workspace's MLflow endpoint", () => {
  // Azure ML's MLflow layer has no aliases and no artifact proxy.
  const server = new MlflowServer({
    prefix: WORKSPACE,
    tokens: ["t1", "t2"],
    aliases: false,
    artifacts: false,
  });
  let base: string;
  beforeAll(async () => {
    base = await server.start();
  });
  afterAll(() => server.stop());

  it("tracks runs and mirrors versions with a bearer token renewed before it expires, aliases as tags", async () => {
    let clock = 1_000_000;
    const creds = credential([
      { token: "t1", expiresOnTimestamp: clock + 10 * 60_000 },
      { token: "t2", expiresOnTimestamp: clock + 70 * 60_000 },
    ]);
    const client = new MlflowRestClient(
      base,
      new BearerTokenSource(creds, AZURE_ML_MLFLOW_SCOPE, () => clock),
    );
    const tracker = new MlflowTracker(client);
    const output = join(scratch, "job-output");
    const job = "train-churn-0a1b2c3d";
    const mirror = new MlflowRegistryMirror(
      client,
      "tags",
      new JobOutputArtifacts({
        [JOB_OUTPUT_ENV.uri]: `azureml://jobs/${job}/outputs/model/paths`,
        [JOB_OUTPUT_ENV.dir]: output,
      }),
    );

    const run = await tracker.create({ run_id: "x", experiment_name: "churn", start_time: 1 });
    const first = await modelFiles("job", run.run_id, "churn v1");
    await mirror.versionRegistered(version("churn", 1, run.run_id, first));
    // Six minutes on, the first token is within five minutes of expiring: it is renewed.
    clock += 6 * 60_000;
    const second = await modelFiles("job", run.run_id, "churn v2");
    await mirror.versionRegistered(version("churn", 2, run.run_id, second));
    await mirror.aliasMoved("churn", "champion", 2);
    await mirror.aliasMoved("churn", "challenger", 1);
    await tracker.finish(run.run_id, "FINISHED", 2);

    expect(server.violations).toEqual([]);
    expect(creds.scopes).toEqual([AZURE_ML_MLFLOW_SCOPE, AZURE_ML_MLFLOW_SCOPE]);
    const switched = server.bearers.indexOf("t2");
    expect(server.bearers.slice(0, switched).every((b) => b === "t1")).toBe(true);
    expect(server.bearers.slice(switched).every((b) => b === "t2")).toBe(true);
    expect(server.calls[switched]).toBe("POST /api/2.0/mlflow/registered-models/create");

    const model = server.registeredModels.get("churn")!;
    expect(model.tags).toEqual({ "mlops.alias.champion": "2", "mlops.alias.challenger": "1" });
    expect(model.aliases).toEqual({});
    // The job's model output holds the folder, and the version names it as Azure ML resolves it.
    expect(await readFile(join(output, run.run_id, "model", "model.json"), "utf8")).toBe(
      "churn v2",
    );
    expect(model.versions[1]).toEqual({
      version: "2",
      source: `azureml://jobs/${job}/outputs/model/paths/${run.run_id}/model`,
      run_id: run.run_id,
      description: "v2",
      tags: {
        "mlops.version": "2",
        "mlops.kind": "classifier",
        "mlops.artifact_sha256": sha256("churn v2"),
        "mlops.data_hash": "d".repeat(64),
      },
    });
  });
});

describe("JobOutputArtifacts", () => {
  it("names the variable an Azure ML job sets, and refuses a folder outside a run's model folder", async () => {
    const uri = await modelFiles("loose", "r1", "m");
    const v = version("m", 1, "r1", uri);
    await expect(new JobOutputArtifacts({}).publish(v)).rejects.toThrow(
      /^MLOPS_MODEL_OUTPUT_URI must be set to mirror a version into Azure ML's registry/,
    );
    const env = {
      [JOB_OUTPUT_ENV.uri]: "azureml://jobs/j/outputs/model/paths",
      [JOB_OUTPUT_ENV.dir]: join(scratch, "out"),
    };
    await expect(
      new JobOutputArtifacts({ ...env, [JOB_OUTPUT_ENV.uri]: "/mnt/out" }).publish(v),
    ).rejects.toThrow(/^MLOPS_MODEL_OUTPUT_URI must be a job output URI/);
    await expect(
      new JobOutputArtifacts(env).publish(version("m", 1, "another-run", uri)),
    ).rejects.toThrow(/is not a run's model folder/);
  });
});

describe("MlflowRegistryMirror on a plain MLflow server", () => {
  const server = new MlflowServer();
  let base: string;
  beforeAll(async () => {
    base = await server.start();
  });
  afterAll(() => server.stop());

  it("moves aliases with the alias API to the MLflow version that carries our version", async () => {
    const client = new MlflowRestClient(base);
    const mirror = new MlflowRegistryMirror(client, "api", new MlflowArtifactStore(client));
    // MLflow numbers its versions itself: ours start at 4 when mirroring began late.
    for (const n of [4, 5]) {
      const uri = await modelFiles("plain", `run-${n}`, `late v${n}`);
      await mirror.versionRegistered(version("late", n, null, uri));
    }
    await mirror.aliasMoved("late", "champion", 5);
    expect(server.violations).toEqual([]);
    const model = server.registeredModels.get("late")!;
    expect(model.aliases).toEqual({ champion: "2" });
    expect(model.versions.map((v) => v.run_id)).toEqual([undefined, undefined]);
    // The files went to the server's artifact store, and the versions name them there.
    expect(model.versions.map((v) => v.source)).toEqual([
      "mlflow-artifacts:/mlops-models/late/4",
      "mlflow-artifacts:/mlops-models/late/5",
    ]);
    expect(String(server.storedArtifacts.get("mlops-models/late/5/model.json"))).toBe("late v5");
    expect([...server.storedArtifacts.keys()].filter((k) => k.includes("/late/4/")).sort()).toEqual(
      [
        "mlops-models/late/4/card.md",
        "mlops-models/late/4/manifest.json",
        "mlops-models/late/4/model.json",
      ],
    );

    const missing = await mirror.aliasMoved("late", "champion", 3).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/MLflow has no version of late tagged mlops\.version=3/);
  });

  it("would be refused a local path as source: the server cannot resolve it", async () => {
    const uri = await modelFiles("local", "r9", "m");
    const asIs = { publish: async (v: ModelVersion) => v.artifact.uri };
    const mirror = new MlflowRegistryMirror(new MlflowRestClient(base), "api", asIs);
    await expect(mirror.versionRegistered(version("local", 1, null, uri))).rejects.toThrow(
      /is a path on the client, not a URI the server resolves/,
    );
  });
});
