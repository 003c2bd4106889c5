import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { TokenCredential } from "@azure/core-auth";
import { loopbackCertificate } from "@mlops/contracts/test-support";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AzureMlJobs,
  type AzureMlTarget,
  azureMlTargetFromEnv,
  computeId,
  dataInput,
  datasetName,
  JOB_ARTIFACT_ROOT,
  jobEnvironment,
  sweepJob,
  TRAINING_IMAGE_ROOT,
} from "./jobs.js";
import { type ClusterTrainInput, submitTrain, trainCommandJob } from "./train-job.js";

const WS =
  "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-1";
const target: AzureMlTarget = {
  AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-0000000000a1",
  AZUREML_RESOURCE_GROUP: "rg-ml",
  AZUREML_WORKSPACE: "ws-1",
  AZUREML_COMPUTE: "cpu-cluster",
  AZUREML_ENVIRONMENT: `${WS}/environments/mlops-training/versions/3`,
  AZUREML_TRAINING_CLIENT_ID: "00000000-0000-0000-0000-00000000791a",
  COSMOS_ENDPOINT: "https://cosmos-prod.documents.azure.com:443/",
  MLFLOW_TRACKING_URI:
    "azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-1",
};
/** What every job runs as and with: the training identity, the store and the tracking server. */
const runsAs = {
  identity: { identityType: "Managed", clientId: "00000000-0000-0000-0000-00000000791a" },
  environmentVariables: {
    AZURE_CLIENT_ID: "00000000-0000-0000-0000-00000000791a",
    MLOPS_STORE: "cosmos",
    COSMOS_ENDPOINT: "https://cosmos-prod.documents.azure.com:443/",
    MLFLOW_TRACKING_URI: target.MLFLOW_TRACKING_URI,
  },
};
const forest: ClusterTrainInput = {
  data: "azureml:churn:2",
  label: "label",
  name: "churn",
  model: { algorithm: "forest", trees: 100 },
  seed: 42,
  threads: 2,
  experiment: "churn",
};

interface Seen {
  method: string;
  path: string;
  apiVersion: string | null;
  authorization: string | undefined;
  body: { properties: Record<string, unknown> } | undefined;
}

/**
 * The ARM jobs endpoint for one workspace: it records each request (method, path, api-version,
 * bearer token, body), answers PUT with the job as created and GET with Running and then
 * Completed, and refuses anything else.
 */
class ArmJobsServer {
  readonly seen: Seen[] = [];
  private readonly polls = new Map<string, number>();
  private server: Server | undefined;

  async start(dir: string): Promise<{ endpoint: string; ca: string }> {
    const { keyFile, certFile } = loopbackCertificate(dir);
    const [key, cert] = await Promise.all([readFile(keyFile, "utf8"), readFile(certFile, "utf8")]);
    this.server = createServer({ key, cert }, (req, res) => {
      let text = "";
      req.on("data", (c) => {
        text += c;
      });
      req.on("end", () => {
        const url = new URL(req.url ?? "", "https://x");
        const seen: Seen = {
          method: req.method ?? "",
          path: url.pathname,
          apiVersion: url.searchParams.get("api-version"),
          authorization: req.headers.authorization,
          body: text === "" ? undefined : JSON.parse(text),
        };
        this.seen.push(seen);
        const name = url.pathname.slice(`${WS}/jobs/`.length);
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (!url.pathname.startsWith(`${WS}/jobs/`) || name.includes("/")) {
          return reply(404, { error: { code: "NotFound", message: url.pathname } });
        }
        if (req.method === "PUT") {
          return reply(201, {
            id: url.pathname,
            name,
            properties: { ...seen.body?.properties, status: "NotStarted" },
          });
        }
        if (req.method === "GET") {
          const n = (this.polls.get(name) ?? 0) + 1;
          this.polls.set(name, n);
          const status = n === 1 ? "Running" : "Completed";
          return reply(200, { id: url.pathname, name, properties: { jobType: "Command", status } });
        }
        reply(405, { error: { code: "MethodNotAllowed", message: req.method } });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return {
      endpoint: `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`,
      ca: cert,
    };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

const server = new ArmJobsServer();
const scopes: string[] = [];
const credential: TokenCredential = {
  getToken: async (scope) => {
    scopes.push(String(scope));
    return { token: "arm-token", expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};
let dir: string;
let jobs: AzureMlJobs;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-arm-"));
  const { endpoint, ca } = await server.start(dir);
  const client = new AzureMachineLearningWorkspaces(
    credential,
    "00000000-0000-0000-0000-0000000000a1",
    {
      endpoint,
      credentialScopes: "https://management.azure.com/.default",
      tlsOptions: { ca },
      retryOptions: { maxRetries: 0 },
    },
  );
  jobs = new AzureMlJobs(client, target, { endpoint, pollMs: 1 });
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.seen.length = 0;
});

function expectArmCall(seen: Seen | undefined, method: string, jobPrefix: string): void {
  expect(seen?.method).toBe(method);
  expect(seen?.path).toMatch(new RegExp(`^${WS}/jobs/${jobPrefix}-[0-9a-f]{8}$`));
  expect(seen?.apiVersion).toBe("2022-10-01");
  expect(seen?.authorization).toBe("Bearer arm-token");
}

describe("mlops train --target azureml", () => {
  it("submits one command job: training image, data asset in, model folder out", async () => {
    const submitted = await submitTrain(jobs, target, forest, 1);
    expect(submitted).toEqual([
      { name: expect.stringMatching(/^train-churn-/), role: "train", status: "NotStarted" },
    ]);
    expect(server.seen).toHaveLength(1);
    expectArmCall(server.seen[0], "PUT", "train-churn");
    expect(server.seen[0]!.body).toEqual({
      properties: {
        jobType: "Command",
        computeId: `${WS}/computes/cpu-cluster`,
        environmentId: target.AZUREML_ENVIRONMENT,
        experimentName: "churn",
        displayName: "train churn",
        identity: runsAs.identity,
        // The registry mirror names the model output as Azure ML resolves it (artifact-publisher.ts).
        environmentVariables: {
          ...runsAs.environmentVariables,
          MLOPS_MODEL_OUTPUT_URI: `azureml://jobs/${submitted[0]!.name}/outputs/model/paths`,
        },
        command:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
          "cd /repo && MLOPS_MODEL_OUTPUT_DIR=${{outputs.model}} node dist/mlops.js train --data ${{inputs.data}} --label label --trees 100 --seed 42 --threads 2 --name churn --artifacts .mlops/artifacts --json && cp -R /repo/.mlops/artifacts/. ${{outputs.model}}/",
        inputs: {
          data: { jobInputType: "uri_file", uri: "azureml:churn:2", mode: "ReadOnlyMount" },
        },
        outputs: { model: { jobOutputType: "uri_folder", mode: "ReadWriteMount" } },
      },
    });
    expect(scopes.every((s) => s === "https://management.azure.com/.default")).toBe(true);
  });

  it("with --instances 3 runs the share job on 3 nodes, waits for it, then the merge job", async () => {
    const [share, merge] = await submitTrain(jobs, target, forest, 3);
    expect(share).toMatchObject({ role: "share", status: "Completed" });
    expect(merge).toMatchObject({ role: "merge", status: "NotStarted" });
    expect(server.seen.map((s) => s.method)).toEqual(["PUT", "GET", "GET", "PUT"]);
    expectArmCall(server.seen[0], "PUT", "share-churn");
    expectArmCall(server.seen[1], "GET", "share-churn");
    expectArmCall(server.seen[3], "PUT", "merge-churn");
    const shareJob = server.seen[0]!.body!.properties;
    expect(shareJob).toMatchObject({
      jobType: "Command",
      command:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
        "cd /repo && node dist/mlops.js forest share --data ${{inputs.data}} --label label --trees 100 --seed 42 --threads 2 --out ${{outputs.shares}} --json",
      distribution: { distributionType: "PyTorch", processCountPerInstance: 1 },
      resources: { instanceCount: 3 },
      outputs: { shares: { jobOutputType: "uri_folder", mode: "ReadWriteMount" } },
    });
    expect(server.seen[3]!.body!.properties).toMatchObject({
      environmentVariables: {
        MLOPS_MODEL_OUTPUT_URI: `azureml://jobs/${merge!.name}/outputs/model/paths`,
      },
      command:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
        "cd /repo && MLOPS_MODEL_OUTPUT_DIR=${{outputs.model}} node dist/mlops.js train --data ${{inputs.data}} --label label --trees 100 --seed 42 --threads 2 --name churn --from-shares ${{inputs.shares}} --artifacts .mlops/artifacts --json && cp -R /repo/.mlops/artifacts/. ${{outputs.model}}/",
      inputs: {
        data: { jobInputType: "uri_file", uri: "azureml:churn:2", mode: "ReadOnlyMount" },
        shares: {
          jobInputType: "uri_folder",
          uri: `azureml://jobs/${share!.name}/outputs/shares`,
          mode: "ReadOnlyMount",
        },
      },
      outputs: { model: { jobOutputType: "uri_folder", mode: "ReadWriteMount" } },
    });
    await expect(
      submitTrain(jobs, target, { ...forest, model: { algorithm: "forest", trees: 2 } }, 3),
    ).rejects.toThrow(/^--instances must not exceed --trees \(2\)/);
  });

  it("submits gbdt as one command job carrying --algorithm and every hyperparameter given", async () => {
    const gbdt: ClusterTrainInput = {
      ...forest,
      model: {
        algorithm: "gbdt",
        options: { nEstimators: 300, learningRate: 0.05, maxDepth: null, subsample: 0.8 },
      },
    };
    const [train] = await submitTrain(jobs, target, gbdt, 1);
    expect(train).toMatchObject({ role: "train", status: "NotStarted" });
    expect(server.seen[0]!.body!.properties).toMatchObject({
      jobType: "Command",
      displayName: "train churn",
      command:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
        "cd /repo && MLOPS_MODEL_OUTPUT_DIR=${{outputs.model}} node dist/mlops.js train --data ${{inputs.data}} --label label --algorithm gbdt --rounds 300 --learning-rate 0.05 --max-depth none --subsample 0.8 --seed 42 --threads 2 --name churn --artifacts .mlops/artifacts --json && cp -R /repo/.mlops/artifacts/. ${{outputs.model}}/",
      outputs: { model: { jobOutputType: "uri_folder", mode: "ReadWriteMount" } },
    });
    expect(server.seen[0]!.body!.properties).not.toHaveProperty("distribution");
  });

  it("refuses gbdt on several nodes before submitting anything", async () => {
    const gbdt: ClusterTrainInput = { ...forest, model: { algorithm: "gbdt" } };
    await expect(submitTrain(jobs, target, gbdt, 2)).rejects.toThrow(
      /^--instances must be 1 with --algorithm gbdt: each boosting round fits the rounds before it/,
    );
    expect(server.seen).toEqual([]);
  });
});

describe("mlops sweep --target azureml", () => {
  it("submits a sweep job whose trials run mlops sweep-trial with the sampled values", async () => {
    await jobs.submit(
      "sweep-x",
      sweepJob(target, {
        data: "https://data.example/churn.csv",
        label: "churn label",
        experiment: "churn-sweep",
        threads: 1,
        definition: {
          space: {
            maxDepth: { type: "choice", values: [4, 8] },
            seed: { type: "randint", upper: 5 },
          },
          sampling: { kind: "random", seed: 3 },
          fixed: { nEstimators: 50 },
          maxTrials: 10,
          maxConcurrent: 2,
          reportEvery: 5,
          policy: { kind: "bandit", slackFactor: 0.1, evaluationInterval: 1, delayEvaluation: 2 },
        },
      }),
    );
    const [put] = server.seen;
    expect(put?.method).toBe("PUT");
    expect(put?.path).toBe(`${WS}/jobs/sweep-x`);
    expect(put?.apiVersion).toBe("2022-10-01");
    expect(put?.body).toEqual({
      properties: {
        jobType: "Sweep",
        computeId: `${WS}/computes/cpu-cluster`,
        experimentName: "churn-sweep",
        displayName: "sweep churn-sweep",
        // Each trial runs as the training identity, with the store and tracking server set.
        identity: runsAs.identity,
        samplingAlgorithm: { samplingAlgorithmType: "Random", seed: 3 },
        searchSpace: { maxDepth: ["choice", [[4, 8]]], seed: ["randint", [5]] },
        objective: { goal: "Maximize", primaryMetric: "validation_accuracy" },
        limits: { jobLimitsType: "Sweep", maxTotalTrials: 10, maxConcurrentTrials: 2 },
        earlyTermination: {
          policyType: "Bandit",
          slackFactor: 0.1,
          evaluationInterval: 1,
          delayEvaluation: 2,
        },
        inputs: {
          data: {
            jobInputType: "uri_file",
            uri: "https://data.example/churn.csv",
            mode: "ReadOnlyMount",
          },
        },
        trial: {
          command: [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
            "cd /repo && node dist/mlops.js sweep-trial --data ${{inputs.data}} --label 'churn label' --report-every 5 --threads 1 --param nEstimators=50",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
            "--param maxDepth=${{search_space.maxDepth}} --param seed=${{search_space.seed}}",
          ].join(" "),
          environmentId: target.AZUREML_ENVIRONMENT,
          environmentVariables: runsAs.environmentVariables,
        },
      },
    });
  });
});

describe("what a job runs with", () => {
  const cosmosTarget = azureMlTargetFromEnv({ ...target, COSMOS_DATABASE: "mlops-prod" });

  it("names the store's database when the submitter's is not the default", () => {
    expect(jobEnvironment(cosmosTarget)).toEqual({
      ...runsAs.environmentVariables,
      COSMOS_DATABASE: "mlops-prod",
    });
  });

  it("runs from the image's repository and registers artifacts at the path the serving image bakes", async () => {
    const command = trainCommandJob(cosmosTarget, forest).command;
    expect(
      command.startsWith(
        `cd ${TRAINING_IMAGE_ROOT} && MLOPS_MODEL_OUTPUT_DIR=\${{outputs.model}} node dist/mlops.js train `,
      ),
    ).toBe(true);
    expect(command).toContain(` --artifacts ${JOB_ARTIFACT_ROOT} `);
    // The image the command runs in keeps the repository there, with .mlops writable by its user.
    const dockerfile = await readFile(new URL("../../Dockerfile", import.meta.url), "utf8");
    expect(dockerfile).toMatch(new RegExp(`^WORKDIR ${TRAINING_IMAGE_ROOT}$`, "m"));
    expect(dockerfile).toMatch(
      new RegExp(
        `^RUN mkdir ${TRAINING_IMAGE_ROOT}/\\.mlops && chown node:node ${TRAINING_IMAGE_ROOT}/\\.mlops$`,
        "m",
      ),
    );
    expect(command).toMatch(/&& cp -R \/repo\/\.mlops\/artifacts\/\. \$\{\{outputs\.model\}\}\/$/);
  });
});

describe("the target and the inputs", () => {
  it("names a missing or malformed variable, and refuses a local data path", () => {
    const env = { ...target } as Record<string, string | undefined>;
    expect(azureMlTargetFromEnv(env)).toEqual(target);
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_COMPUTE: undefined })).toThrow(
      /^AZUREML_COMPUTE must be set for --target azureml/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_ENVIRONMENT: "azureml:env:1" })).toThrow(
      /^AZUREML_ENVIRONMENT must be an environment version id/,
    );
    // Without these a job would run with a throwaway SQLite store on the node.
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_TRAINING_CLIENT_ID: undefined })).toThrow(
      /^AZUREML_TRAINING_CLIENT_ID must be set for --target azureml/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, MLFLOW_TRACKING_URI: "file:./mlruns" })).toThrow(
      /^MLFLOW_TRACKING_URI must be the workspace's azureml:\/\/ MLflow tracking URI/,
    );
    // Each goes into the ARM ids of the compute and the job, so it must be what Azure names.
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_COMPUTE: "  " })).toThrow(
      /^AZUREML_COMPUTE must be a compute cluster name \(2–16 letters, digits or '-', starting with a letter\)/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_COMPUTE: "cpu/../../x" })).toThrow(
      /^AZUREML_COMPUTE must be a compute cluster name/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, AZURE_SUBSCRIPTION_ID: " sub " })).toThrow(
      /^AZURE_SUBSCRIPTION_ID must be the subscription's id \(a GUID\)/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_WORKSPACE: "ws/1" })).toThrow(
      /^AZUREML_WORKSPACE must be a workspace name/,
    );
    expect(() => azureMlTargetFromEnv({ ...env, AZUREML_RESOURCE_GROUP: "rg." })).toThrow(
      /^AZUREML_RESOURCE_GROUP must be a resource group name/,
    );
    expect(azureMlTargetFromEnv({ ...env, AZUREML_RESOURCE_GROUP: "rg-ü_(1).x" })).toMatchObject({
      AZUREML_RESOURCE_GROUP: "rg-ü_(1).x",
    });
    expect(computeId(target)).toBe(`${WS}/computes/cpu-cluster`);
    expect(() => dataInput("data/demo.csv")).toThrow(/^--data must be a data asset/);
    expect(datasetName("azureml:churn:2")).toBe("churn");
    expect(datasetName("https://data.example/dir/churn.v2.csv?sig=1")).toBe("churn.v2");
  });
});
