import { randomBytes } from "node:crypto";
import type {
  AzureMachineLearningWorkspaces,
  JobBaseProperties,
  SweepJob,
  UriFileJobInput,
  UriFolderJobOutput,
} from "@azure/arm-machinelearning";
import { createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { STORE_ENV } from "@mlops/contracts";
import { z } from "zod";
import { OptionError } from "../errors.js";
import { type SweepDefinition, sweepSettings } from "../sweep/run.js";
import { logSampledParameters, toAzureSweepSettings } from "./sweep-spec.js";

/** The workspace, compute cluster and environment jobs go to, read from the environment. */
export const AzureMlTargetSchema = z.object({
  AZURE_SUBSCRIPTION_ID: z.guid({ error: "must be the subscription's id (a GUID)" }),
  /** ARM's rule for resource group names (Microsoft.Resources, resourceGroupName). */
  AZUREML_RESOURCE_GROUP: z.string().regex(/^[-\p{L}\p{N}_.()]{0,89}[-\p{L}\p{N}_()]$/u, {
    error:
      "must be a resource group name (1–90 letters, digits, '_', '-', '.', '(', ')', not ending in '.')",
  }),
  /** ARM's rule for workspace names (Microsoft.MachineLearningServices, workspaceName). */
  AZUREML_WORKSPACE: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$/, {
    error:
      "must be a workspace name (3–33 letters, digits, '_' or '-', starting with a letter or digit)",
  }),
  /** The compute cluster's name in the workspace (2–16 characters, as infra/src/ml-workspace.ts names it). */
  AZUREML_COMPUTE: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{1,15}$/, {
    error: "must be a compute cluster name (2–16 letters, digits or '-', starting with a letter)",
  }),
  /** ARM id of the environment version built from the project's training image. */
  AZUREML_ENVIRONMENT: z
    .string()
    .regex(/^\/subscriptions\/.+\/environments\/[^/]+\/versions\/[^/]+$/, {
      error:
        "must be an environment version id (/subscriptions/…/workspaces/<ws>/environments/<name>/versions/<v>)",
    }),
  /**
   * Client id of the training identity (stack output `trainingClientId`): jobs run as it, so
   * they reach Cosmos DB, the workspace's MLflow endpoint and its storage with its roles.
   */
  AZUREML_TRAINING_CLIENT_ID: z.string().min(1),
  /** The store jobs register into (stack output `cosmosEndpoint`); keyless, as the identity. */
  COSMOS_ENDPOINT: z.url({ protocol: /^https$/, error: "must be the https Cosmos DB endpoint" }),
  /** The store's database, when not the default (stack output `cosmosDatabase`). */
  COSMOS_DATABASE: z.string().min(1).optional(),
  /** The workspace's MLflow endpoint (stack output `mlflowTrackingUri`). */
  MLFLOW_TRACKING_URI: z.string().regex(/^azureml:\/\//, {
    error: "must be the workspace's azureml:// MLflow tracking URI",
  }),
});
export type AzureMlTarget = z.infer<typeof AzureMlTargetSchema>;

/** Reads the target from env; a missing or malformed variable is named. */
export function azureMlTargetFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): AzureMlTarget {
  const parsed = AzureMlTargetSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "AZUREML_*");
    throw new OptionError(
      name,
      issue?.code === "invalid_type"
        ? "must be set for --target azureml"
        : (issue?.message ?? "is invalid"),
      env[name],
    );
  }
  return parsed.data;
}

/** ARM id of the target's compute cluster. */
export function computeId(t: AzureMlTarget): string {
  return `/subscriptions/${t.AZURE_SUBSCRIPTION_ID}/resourceGroups/${t.AZUREML_RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${t.AZUREML_WORKSPACE}/computes/${t.AZUREML_COMPUTE}`;
}

/**
 * A job input for `--data`: a data asset (`azureml:<name>:<version>`) or a URI the cluster can
 * read (`azureml://…`, `https://…`, `wasbs://…`, `abfss://…`). Local paths are refused: nothing
 * uploads them.
 */
export function dataInput(data: string): UriFileJobInput & { jobInputType: "uri_file" } {
  if (!/^(azureml:|https:\/\/|wasbs:\/\/|abfss:\/\/)/.test(data)) {
    throw new OptionError(
      "--data",
      "must be a data asset (azureml:<name>:<version>) or a URI the cluster can read with --target azureml",
      data,
    );
  }
  return { jobInputType: "uri_file", uri: data, mode: "ReadOnlyMount" };
}

/** The name a job's data suggests: a data asset's name, or a URI's file name without extension. */
export function datasetName(data: string): string {
  const asset = /^azureml:([^:/]+):[^:/]+$/.exec(data);
  if (asset) return asset[1]!;
  const file = data.split(/[?#]/)[0]!.split("/").at(-1) ?? data;
  return file.replace(/\.[^.]*$/, "");
}

export const folderOutput = (): UriFolderJobOutput & { jobOutputType: "uri_folder" } => ({
  jobOutputType: "uri_folder",
  mode: "ReadWriteMount",
});

/** A value as one shell word (the command runs under a shell on the node). */
export function shellWord(value: string | number): string {
  const text = String(value);
  return /^[A-Za-z0-9_./:=@-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** An Azure ML job binding, `${{inputs.data}}`, substituted on the node before the command runs. */
export const binding = (path: string) => `\${{${path}}}`;

/** A whole argument that is one job binding: Azure ML substitutes it, so it stays unquoted. */
const BINDING_WORD = /^\$\{\{(?:inputs|outputs)\.[A-Za-z_][A-Za-z0-9_]*\}\}$/;

/**
 * One argument of a job's command as a shell word: a {@link binding} as it is, anything else
 * quoted. Azure ML substitutes `${{…}}` anywhere in the command, quoted or not, so any other
 * argument containing one would not reach the node as given, and is refused.
 */
export function commandWord(value: string | number, flag?: string): string {
  const text = String(value);
  if (BINDING_WORD.test(text)) return text;
  if (text.includes("${{")) {
    throw new OptionError(
      flag ?? "argument",
      "must not contain ${{ with --target azureml: Azure ML would substitute it before the command runs",
      text,
    );
  }
  return shellWord(text);
}

/**
 * Where the training image keeps the repository (training/Dockerfile's WORKDIR, a test keeps the
 * two equal). Azure ML runs a job's command in the job's own working directory, not the image's
 * WORKDIR, so every command names it.
 */
export const TRAINING_IMAGE_ROOT = "/repo";

/**
 * Where a training job writes its artifacts before copying them to its `model` output: relative to
 * the repository, as a local `mlops train` does, so the registered artifact path is the one the
 * serving image bakes the artifacts in at (services/serving/Dockerfile).
 */
export const JOB_ARTIFACT_ROOT = ".mlops/artifacts";

/**
 * The compiled `mlops` CLI in the image (training/Dockerfile), run by plain node from its root,
 * with `env` set for it (values may be job bindings, which Azure ML substitutes in the command).
 */
export const mlopsCommand = (
  args: readonly (string | number)[],
  env: Record<string, string> = {},
) =>
  [
    `cd ${TRAINING_IMAGE_ROOT} &&`,
    ...Object.entries(env).map(([name, value]) => `${name}=${commandWord(value, name)}`),
    "node dist/mlops.js",
    ...args.map((a, i) => commandWord(a, flagBefore(args, i))),
  ].join(" ");

/** The flag an argument is the value of, for a refusal's message. */
const flagBefore = (args: readonly (string | number)[], i: number): string | undefined => {
  const previous = args[i - 1];
  return typeof previous === "string" && previous.startsWith("--") ? previous : undefined;
};

/**
 * Jobs run as the training identity (the compute cluster's user-assigned identity, named by
 * client id), not with the submitter's token; the SDKs on the node pick it up from
 * AZURE_CLIENT_ID (Azure ML docs, how-to-identity-based-service-authentication, "Compute cluster
 * / job identity").
 */
export const jobIdentity = (t: AzureMlTarget) => ({
  identityType: "Managed" as const,
  clientId: t.AZUREML_TRAINING_CLIENT_ID,
});

/** What `mlops` on the node reads: the identity, the store and the tracking server. */
export const jobEnvironment = (t: AzureMlTarget): Record<string, string> => ({
  AZURE_CLIENT_ID: t.AZUREML_TRAINING_CLIENT_ID,
  [STORE_ENV.store]: "cosmos",
  [STORE_ENV.cosmosEndpoint]: t.COSMOS_ENDPOINT,
  ...(t.COSMOS_DATABASE && { [STORE_ENV.cosmosDatabase]: t.COSMOS_DATABASE }),
  MLFLOW_TRACKING_URI: t.MLFLOW_TRACKING_URI,
});

export const commandJobBase = (t: AzureMlTarget, experiment: string, displayName: string) => ({
  jobType: "Command" as const,
  computeId: computeId(t),
  environmentId: t.AZUREML_ENVIRONMENT,
  experimentName: experiment,
  displayName,
  identity: jobIdentity(t),
  environmentVariables: jobEnvironment(t),
});

/** What a sweep job on the cluster searches. */
export interface SweepJobInput {
  readonly data: string;
  readonly label: string;
  readonly definition: SweepDefinition;
  readonly experiment: string;
  readonly threads: number;
}

/**
 * A sweep job: its sampling, space, objective, limits and policy from {@link toAzureSweepSettings};
 * each trial runs `mlops sweep-trial` with the sampled values (`--log-param` for those sampled by
 * their logarithm) and logs validation accuracy by interval (trees, or boosting rounds for
 * gbdt) to its own run, which the policy judges.
 */
export function sweepJob(t: AzureMlTarget, s: SweepJobInput): SweepJob {
  const settings = toAzureSweepSettings(s.definition);
  const { algorithm, reportEvery } = sweepSettings(s.definition);
  const logs = new Set(logSampledParameters(s.definition));
  const params = Object.keys(s.definition.space).flatMap((name) => [
    logs.has(name) ? "--log-param" : "--param",
    // The name as a quoted word, the sampled value as the binding Azure ML substitutes.
    `${shellWord(`${name}=`)}${binding(`search_space.${name}`)}`,
  ]);
  // A fixed option the space also samples would be passed twice; the sampled value wins anyway.
  const fixed = Object.entries(s.definition.fixed ?? {})
    .filter(([name]) => !(name in s.definition.space))
    .flatMap(([name, value]) => [
      "--param",
      `${name}=${typeof value === "object" ? JSON.stringify(value) : String(value)}`,
    ]);
  return {
    jobType: "Sweep",
    computeId: computeId(t),
    experimentName: s.experiment,
    displayName: `sweep ${s.experiment}`,
    identity: jobIdentity(t),
    ...settings,
    inputs: { data: dataInput(s.data) },
    trial: {
      command: [
        mlopsCommand([
          "sweep-trial",
          // The forest is the trial's default; its command stays as it was.
          ...(algorithm === "forest" ? [] : ["--algorithm", algorithm]),
          "--data",
          binding("inputs.data"),
          "--label",
          s.label,
          "--report-every",
          reportEvery,
          "--threads",
          s.threads,
          ...fixed,
        ]),
        ...params,
      ].join(" "),
      environmentId: t.AZUREML_ENVIRONMENT,
      environmentVariables: jobEnvironment(t),
    },
  };
}

/** A fresh job name (Azure ML job names are unique per workspace). */
export function jobName(prefix: string): string {
  return `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 40)}-${randomBytes(4).toString("hex")}`;
}

const TERMINAL = new Set(["Completed", "Failed", "Canceled", "NotResponding"]);

/** The ARM API version `@azure/arm-machinelearning` 2.1.1 speaks (a constant in the SDK). */
export const JOBS_API_VERSION = "2022-10-01";

/**
 * Job submission and status for one workspace through `@azure/arm-machinelearning`'s client: its
 * pipeline signs every request with the Entra ID credential (scope: Azure Resource Manager).
 */
export class AzureMlJobs {
  constructor(
    private readonly client: AzureMachineLearningWorkspaces,
    private readonly target: AzureMlTarget,
    private readonly options: {
      /** The ARM endpoint the client was built with. @default https://management.azure.com */
      readonly endpoint?: string;
      /** How long to wait between status checks. @default 30 s */
      readonly pollMs?: number;
    } = {},
  ) {}

  /**
   * Creates the job `name` with a PUT of exactly `properties`; returns its status. The body is
   * sent as JSON through the client's pipeline rather than `jobs.createOrUpdate`: the SDK's
   * serializer (2.1.1) maps `uri_file`/`uri_folder` inputs and outputs under the wrong
   * discriminator and drops their `uri` and `mode`, which a job cannot run without.
   */
  async submit(name: string, properties: JobBaseProperties): Promise<string> {
    const t = this.target;
    const url =
      `${(this.options.endpoint ?? "https://management.azure.com").replace(/\/+$/, "")}` +
      `/subscriptions/${encodeURIComponent(t.AZURE_SUBSCRIPTION_ID)}/resourceGroups/${encodeURIComponent(t.AZUREML_RESOURCE_GROUP)}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(t.AZUREML_WORKSPACE)}` +
      `/jobs/${encodeURIComponent(name)}?api-version=${JOBS_API_VERSION}`;
    const response = await this.client.sendRequest(
      createPipelineRequest({
        url,
        method: "PUT",
        headers: createHttpHeaders({ "content-type": "application/json" }),
        body: JSON.stringify({ properties }),
      }),
    );
    const body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {};
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(
        `Azure ML refused job ${name}: HTTP ${response.status} ${body?.error?.code ?? ""} ${body?.error?.message ?? ""}`.trim(),
      );
    }
    return body?.properties?.status ?? "Unknown";
  }

  /** Polls the job until it ends; returns its final status. */
  async waitFor(name: string): Promise<string> {
    for (;;) {
      const job = await this.client.jobs.get(
        this.target.AZUREML_RESOURCE_GROUP,
        this.target.AZUREML_WORKSPACE,
        name,
      );
      const status = job.properties.status ?? "Unknown";
      if (TERMINAL.has(status)) return status;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 30_000));
    }
  }
}

/** A submitted job, as `--json` prints it. */
export interface SubmittedJob {
  readonly name: string;
  readonly role: "train" | "share" | "merge" | "sweep";
  readonly status: string;
}
