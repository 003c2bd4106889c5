/**
 * `azure-pipelines.yml`, the release path for teams on Azure DevOps: valid against the Azure
 * Pipelines YAML schema Microsoft publishes (a pinned copy: fixtures/azure-pipelines/README.md),
 * the same stages as the GitHub pipeline, private endpoints reached from the in-VNet pool, the
 * deploy behind the `production` environment, and only `mlops` commands that exist.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Ajv, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { invocations } from "./inspect.js";
import { expectMlopsCallsExist, ROOT } from "./support.js";

interface AdoStep {
  readonly task?: string;
  readonly script?: string;
  readonly name?: string;
  readonly inputs?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface AdoJob {
  readonly job?: string;
  readonly deployment?: string;
  readonly pool?: { name?: string; vmImage?: string };
  readonly environment?: string;
  readonly steps?: AdoStep[];
  readonly strategy?: { runOnce: { deploy: { steps: AdoStep[] } } };
}
interface AdoStage {
  readonly stage: string;
  readonly dependsOn?: string | string[];
  readonly jobs: AdoJob[];
}
interface AdoPipeline {
  readonly variables: Record<string, string>;
  readonly stages: AdoStage[];
}

const FIXTURE = join(ROOT, "tests", "workflows", "fixtures", "azure-pipelines");
const text = readFileSync(join(ROOT, "azure-pipelines.yml"), "utf8");
const pipeline = parse(text) as AdoPipeline;
/** As Azure DevOps reads YAML, and its schema describes it: every scalar a string. */
const asAzureReadsIt = parse(text, { schema: "failsafe" }) as unknown;

let validate: ValidateFunction;
beforeAll(() => {
  const schema = JSON.parse(
    gunzipSync(readFileSync(join(FIXTURE, "service-schema.json.gz"))).toString("utf8"),
  ) as Record<string, unknown>;
  // The schema carries editor-only keywords (firstProperty, ignoreCase, doNotSuggest, …):
  // strict mode off lets ajv skip them; every standard keyword is enforced. Its patterns are
  // written for .NET regular expressions (escapes such as `\:`), which JavaScript accepts only
  // without the `u` flag.
  validate = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(schema);
});

const stepsOf = (job: AdoJob): AdoStep[] => job.steps ?? job.strategy?.runOnce.deploy.steps ?? [];
const scriptsOf = (job: AdoJob): string[] =>
  stepsOf(job).flatMap((step) => [step.script ?? "", String(step.inputs?.inlineScript ?? "")]);
const allJobs = (): { stage: string; job: AdoJob }[] =>
  pipeline.stages.flatMap((stage) => stage.jobs.map((job) => ({ stage: stage.stage, job })));

describe("azure-pipelines.yml", () => {
  it("validates against Microsoft's Azure Pipelines schema", () => {
    expect(validate(asAzureReadsIt), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(
      true,
    );
  });

  it("the schema check is live: an unknown key or task input fails it", () => {
    const unknownKey = structuredClone(asAzureReadsIt) as unknown as {
      stages: Record<string, unknown>[];
    };
    (unknownKey.stages[0] as Record<string, unknown>).dependson = "test";
    expect(validate(unknownKey)).toBe(false);
    const badInput = structuredClone(asAzureReadsIt) as unknown as {
      stages: { jobs: { steps?: { task?: string; inputs?: Record<string, unknown> }[] }[] }[];
    };
    const task = badInput.stages
      .flatMap((s) => s.jobs.flatMap((j) => j.steps ?? []))
      .find((s) => s.task === "AzureCLI@2");
    if (task?.inputs === undefined) throw new Error("expected an AzureCLI@2 step");
    task.inputs.scriptType = "fish";
    expect(validate(badInput)).toBe(false);
  });

  it("runs build, test, scan, push, deploy and smoke in that order", () => {
    expect(pipeline.stages.map((s) => s.stage)).toEqual([
      "build",
      "test",
      "scan",
      "push",
      "deploy",
      "smoke",
    ]);
    const deps = (name: string) =>
      ([] as string[]).concat(pipeline.stages.find((s) => s.stage === name)?.dependsOn ?? []);
    expect(deps("scan")).toEqual(["build"]);
    expect(deps("push")).toEqual(expect.arrayContaining(["scan", "test"]));
    expect(deps("deploy")).toContain("push");
    expect(deps("smoke")).toEqual(["deploy"]);
  });

  it("deploys only as a deployment job of the production environment", () => {
    const deploys = allJobs().filter(({ job }) => scriptsOf(job).some((s) => /pulumi up/.test(s)));
    expect(deploys.map(({ stage }) => stage)).toEqual(["deploy"]);
    for (const { job } of deploys) {
      expect(job.deployment).toBeDefined();
      expect(job.environment).toBe("production");
    }
  });

  it("reaches private endpoints (registry, Cosmos DB, the cluster) from the in-VNet pool", () => {
    const reachesPrivate = (job: AdoJob) =>
      scriptsOf(job).some((s) => /docker push|pulumi up|pnpm mlops (train|release)/.test(s));
    const jobs = allJobs().filter(({ job }) => reachesPrivate(job));
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    for (const { job } of jobs) expect(job.pool?.name).toBe("$(VNET_POOL)");
  });

  it("installs kubelogin and sets its login mode wherever Pulumi touches the cluster", () => {
    for (const { job } of allJobs().filter(({ job }) =>
      scriptsOf(job).some((s) => /pulumi (up|preview)/.test(s)),
    )) {
      const steps = stepsOf(job);
      expect(steps.some((s) => s.task === "KubeloginInstaller@0")).toBe(true);
      const up = steps.find((s) => /pulumi up/.test(String(s.inputs?.inlineScript ?? "")));
      expect(up?.env?.AAD_LOGIN_METHOD).toBe("azurecli");
    }
  });

  it("pushes the image repository the prod stack deploys", () => {
    const stack = parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, { imageRepository?: string }>;
    };
    expect(pipeline.variables.IMAGE_REPOSITORY).toBe(
      stack.config["mlops-platform:serving"]?.imageRepository,
    );
  });

  it("calls only mlops commands and flags that exist", async () => {
    const calls = allJobs().flatMap(({ job }) => scriptsOf(job).flatMap(invocations));
    expect(calls.map((c) => c.command)).toEqual(
      expect.arrayContaining(["train", "release candidate", "smoke"]),
    );
    await expectMlopsCallsExist(calls);
  }, 120_000);
});
