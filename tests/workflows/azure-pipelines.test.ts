/**
 * `azure-pipelines.yml`, the release path for teams on Azure DevOps: valid against the Azure
 * Pipelines YAML schema Microsoft publishes (a pinned copy: fixtures/azure-pipelines/README.md),
 * the same stages and repository commands as the GitHub pipeline, private endpoints reached from
 * the in-VNet pool, each job signed in as its GitHub job's identity (a service connection per
 * identity), deploys and promotions behind the `production` environment one at a time, the tools
 * it runs (Node, pnpm, Pulumi, kubelogin) installed at the versions pinned elsewhere, and only
 * scripts and `mlops` commands that exist. The scripts are driven here as this pipeline runs
 * them: the record and the rollback it shares with the GitHub workflow (commit-stack-config.sh,
 * rollback.sh) and its own checkout of the recorded commit (azure-pipelines-stack-config.sh), with
 * an Azure agent's environment against a real git branch on a local remote (with a recording
 * `pulumi`); install-pulumi.sh against a local copy of a release (with a fake `curl`).
 */
import { createHash } from "node:crypto";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Ajv, type ValidateFunction } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type AdoJob,
  type AdoPipeline,
  type AdoStep,
  allJobs,
  dependsOn,
  firstStep,
  jobName,
  outputs,
  pipeline,
  scriptsCalled,
  scriptsOf,
  scriptText,
  shellOf,
  stage,
  stepsOf,
  text,
} from "./azure-inspect.js";
import { fromVars, IDENTITY, invocations } from "./inspect.js";
import {
  editStack,
  expectMlopsCallsExist,
  jobGit,
  loadSetupAction,
  loadWorkflow,
  ROOT,
  recordAnotherRelease,
  run,
  SCRIPTS_DIR,
  STACK_FILE,
  stackBranch,
  type Workflow,
} from "./support.js";

interface TaskSchema {
  readonly properties: {
    task: { pattern: string };
    inputs?: { properties?: Record<string, { type?: string }> };
  };
}

const FIXTURE = join(ROOT, "tests", "workflows", "fixtures", "azure-pipelines");
const CHECKOUT = join(ROOT, ".github/scripts/azure-pipelines-stack-config.sh");
const COMMIT = join(ROOT, ".github/scripts/commit-stack-config.sh");
const ROLLBACK = join(ROOT, ".github/scripts/rollback.sh");
const INSTALL_PULUMI = join(ROOT, ".github/scripts/install-pulumi.sh");

let validate: ValidateFunction;
let taskSchemas: TaskSchema[];
let workflow: Workflow;
beforeAll(async () => {
  const schema = JSON.parse(
    gunzipSync(readFileSync(join(FIXTURE, "service-schema.json.gz"))).toString("utf8"),
  ) as { definitions: { task: { anyOf: TaskSchema[] } } };
  taskSchemas = schema.definitions.task.anyOf;
  // The schema carries editor-only keywords (firstProperty, ignoreCase, doNotSuggest, …):
  // strict mode off lets ajv skip them; every standard keyword is enforced. Its patterns are
  // written for .NET regular expressions (escapes such as `\:`), which JavaScript accepts only
  // without the `u` flag.
  validate = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(schema);
  workflow = (await loadWorkflow("mlops-pipeline.yml")).doc;
});

/**
 * The pipeline as Azure DevOps reads it, every scalar a string, except the task inputs the schema
 * types as JSON booleans (AzureCLI@2's keepAzSessionActive, …): there `true`/`false` is the boolean
 * the service accepts, and any other string still fails.
 */
function asAzureReadsIt(): Record<string, unknown> {
  const doc = parse(text, { schema: "failsafe" }) as Record<string, unknown>;
  const booleanInputs = (task: string) =>
    taskSchemas
      .filter((t) => t.properties.task.pattern === `^${task}$`)
      .flatMap((t) => Object.entries(t.properties.inputs?.properties ?? {}))
      .filter(([, input]) => input.type === "boolean")
      .map(([name]) => name);
  // Arrays are objects too: their items are visited by Object.values.
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const step = node as { task?: unknown; inputs?: Record<string, unknown> };
    if (typeof step.task === "string" && step.inputs !== undefined) {
      for (const name of booleanInputs(step.task)) {
        const value = step.inputs[name];
        if (value === "true" || value === "false") step.inputs[name] = value === "true";
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(doc);
  return doc;
}

/** The repository scripts that run the Pulumi CLI against the stack themselves. */
const PULUMI_SCRIPTS = readdirSync(SCRIPTS_DIR).filter((name) =>
  /^[^#\n]*\bpulumi (up|stack|config)\b/m.test(scriptText(name)),
);
/** A step that runs the Pulumi CLI against the stack, itself or through a command or script. */
const RUNS_PULUMI = new RegExp(
  "\\bpulumi (up|stack|config)\\b|mlops release (candidate|plan)\\b.*--apply|" +
    `\\.github/scripts/(${PULUMI_SCRIPTS.map((name) => name.replaceAll(".", "\\.")).join("|")})`,
);
/** A step that changes what runs in the cluster (and so needs kubelogin). */
const REACHES_CLUSTER = /\bpulumi up\b|\/rollback\.sh\b/;
const pulumiJobs = () =>
  allJobs().filter(({ job }) => scriptsOf(job).some((s) => RUNS_PULUMI.test(s)));

/** The workflow's steps of job `id` that use the action `uses` (prefix), with their `with:`. */
const actionInputs = (id: string, uses: string): Record<string, unknown>[] =>
  (workflow.jobs[id]?.steps ?? []).filter((s) => s.uses?.startsWith(uses)).map((s) => s.with ?? {});

type Role = keyof typeof IDENTITY;
/**
 * The GitHub job of mlops-pipeline.yml each job here mirrors; `test` mirrors ci.yml's checks, and
 * the Azure ML training image (train-image*) is not mirrored.
 */
const GITHUB_JOB: Readonly<Record<string, string>> = {
  train: "train",
  image: "image",
  scan: "scan",
  push: "push",
  challenger: "deploy",
  analyze: "ab-test",
  promotion: "promote",
};

/** The identity GitHub job `id` signs in as (its azure/login `client-id`), undefined for none. */
function githubRole(id: string): Role | undefined {
  if (workflow.jobs[id] === undefined) throw new Error(`mlops-pipeline.yml has no job ${id}`);
  const roles = new Set(
    actionInputs(id, "azure/login@").map((inputs) => {
      const role = (Object.keys(IDENTITY) as Role[]).find(
        (r) => inputs["client-id"] === fromVars(IDENTITY[r]),
      );
      if (role === undefined) throw new Error(`${id} signs in as ${inputs["client-id"]}`);
      return role;
    }),
  );
  if (roles.size > 1) throw new Error(`${id} signs in as ${[...roles].join(" and ")}`);
  return [...roles][0];
}

/** The pipeline variable naming `role`'s service connection: BUILD_SERVICE_CONNECTION for build. */
const connectionVariable = (role: Role) => `${role.toUpperCase()}_SERVICE_CONNECTION`;
/** A step's `azureSubscription` that signs in as `role`. */
const connectionOf = (role: Role) => `\${{ variables.${connectionVariable(role)} }}`;

/**
 * Where `doc` signs in otherwise than mlops-pipeline.yml (none: as it does): each job with its
 * GitHub job's identity only, through that identity's own connection, in the same environment
 * (the deploy identity only behind `production`'s approvals), one connection per identity.
 */
function signInProblems(doc: AdoPipeline): string[] {
  const problems: string[] = [];
  const roles = new Set<Role>();
  for (const job of doc.stages.flatMap((s) => s.jobs)) {
    const name = jobName(job);
    const github = GITHUB_JOB[name];
    const role = github === undefined ? undefined : githubRole(github);
    if (role !== undefined) roles.add(role);
    const mirrored = github === undefined ? "no GitHub job" : `GitHub's ${github}`;
    const expected = role && connectionOf(role);
    for (const step of stepsOf(job)) {
      const connection = step.inputs?.azureSubscription;
      if (connection !== undefined && connection !== expected) {
        problems.push(
          `${name} (${mirrored}, signed in as ${role ?? "nobody"}): "${step.displayName}" signs in with ${connection}`,
        );
      }
    }
    const ghEnvironment = github === undefined ? undefined : workflow.jobs[github]?.environment;
    const environment = typeof ghEnvironment === "object" ? ghEnvironment.name : ghEnvironment;
    if (job.environment !== environment) {
      problems.push(
        `${name} targets environment ${job.environment ?? "none"}, ${mirrored} ${environment ?? "none"}`,
      );
    }
  }
  const byConnection = new Map<string, Role>();
  for (const role of roles) {
    const variable = connectionVariable(role);
    const connection = doc.variables[variable];
    const other = connection === undefined ? undefined : byConnection.get(connection);
    if (connection === undefined) problems.push(`variables.${variable} is not set`);
    else if (other !== undefined) {
      problems.push(
        `${variable} and ${connectionVariable(other)} both name ${connection}: one identity would hold both roles`,
      );
    } else byConnection.set(connection, role);
  }
  return problems;
}

describe("azure-pipelines.yml", () => {
  it("validates against Microsoft's Azure Pipelines schema", () => {
    expect(validate(asAzureReadsIt()), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(
      true,
    );
  });

  it("the schema check is live: an unknown key, task input or input value fails it", () => {
    const unknownKey = asAzureReadsIt() as { stages: Record<string, unknown>[] };
    unknownKey.stages[0]!.dependson = "test";
    expect(validate(unknownKey)).toBe(false);
    type Doc = { stages: { jobs: { steps?: AdoStep[] }[] }[] };
    const azureCli = (doc: Doc) => {
      const step = doc.stages
        .flatMap((s) => s.jobs.flatMap((j) => j.steps ?? []))
        .find((s) => s.task === "AzureCLI@2");
      if (step?.inputs === undefined) throw new Error("expected an AzureCLI@2 step");
      return step.inputs;
    };
    const badInput = asAzureReadsIt() as unknown as Doc;
    azureCli(badInput).scriptType = "fish";
    expect(validate(badInput)).toBe(false);
    const badBoolean = asAzureReadsIt() as unknown as Doc;
    azureCli(badBoolean).keepAzSessionActive = "maybe";
    expect(validate(badBoolean)).toBe(false);
    // UseNode@1 is documented but not in the pinned schema: the pipeline uses NodeTool@0.
    expect(taskSchemas.some((t) => t.properties.task.pattern === "^UseNode@1$")).toBe(false);
    expect(taskSchemas.some((t) => t.properties.task.pattern === "^NodeTool@0$")).toBe(true);
  });

  it("runs build, test, scan, push, deploy, A/B analysis and promote, as the GitHub pipeline", () => {
    expect(pipeline.stages.map((s) => s.stage)).toEqual([
      "build",
      "test",
      "scan",
      "push",
      "deploy",
      "abtest",
      "promote",
    ]);
    expect(dependsOn(stage("scan"))).toEqual(["build"]);
    expect(dependsOn(stage("push"))).toEqual(expect.arrayContaining(["scan", "test"]));
    expect(dependsOn(stage("deploy"))).toContain("push");
    // A failure anywhere before stops the analysis (failed() reads the stages it depends on).
    expect(dependsOn(stage("abtest"))).toEqual(["build", "test", "scan", "push", "deploy"]);
    expect(stage("abtest").condition).toMatch(/not\(failed\(\)\)/);
    expect(dependsOn(stage("promote"))).toEqual(["deploy", "abtest"]);
    expect(stage("promote").condition).toMatch(/succeeded\('abtest'\)/);
    // Only a candidate that beat the champion is built, scanned and deployed.
    const promoted =
      /eq\(dependencies\.(build\.outputs\['train\.|train\.outputs\[')candidate\.promoted'\], 'true'\)/;
    expect(stage("scan").condition).toMatch(promoted);
    expect(stage("deploy").condition).toMatch(promoted);
    expect(stage("build").jobs.find((j) => j.job === "image")?.condition).toMatch(promoted);
  });

  it("runs each GitHub job's mlops commands, with their flags, in the job that mirrors it", () => {
    const calls = (scripts: string[]) =>
      scripts
        .flatMap(invocations)
        .map((c) => `${c.command} ${c.flags.join(" ")}`)
        .sort();
    const github = (id: string) => calls((workflow.jobs[id]?.steps ?? []).map((s) => s.run ?? ""));
    const mirrored = allJobs().filter(({ job }) => GITHUB_JOB[jobName(job)] !== undefined);
    expect(mirrored.map(({ job }) => jobName(job))).toEqual(Object.keys(GITHUB_JOB));
    for (const { job } of mirrored) {
      expect(calls(scriptsOf(job)), jobName(job)).toEqual(github(GITHUB_JOB[jobName(job)]!));
    }
  });

  it("signs each job in as its GitHub job's identity, through that identity's own connection", () => {
    expect(signInProblems(pipeline)).toEqual([]);
    // Both identities are in use, each through a connection of its own.
    const connections = allJobs().flatMap(({ job }) =>
      stepsOf(job).flatMap((s) => s.inputs?.azureSubscription ?? []),
    );
    expect(new Set(connections)).toEqual(new Set((["build", "deploy"] as const).map(connectionOf)));
  });

  it("the sign-in check is live: a crossed connection, a shared one or a lost environment fails it", () => {
    type Mutable = { -readonly [K in keyof AdoPipeline]: AdoPipeline[K] };
    const changed = (change: (doc: Mutable) => void): string[] => {
      const doc = structuredClone(pipeline) as Mutable;
      change(doc);
      return signInProblems(doc);
    };
    /** Points the first step of job `name` whose shell matches `pattern` at `role`'s connection. */
    const signIn = (doc: Mutable, name: string, pattern: RegExp, role: Role) => {
      const job = doc.stages.flatMap((s) => s.jobs).find((j) => (j.job ?? j.deployment) === name)!;
      const step = stepsOf(job).find((s) => pattern.test(shellOf(s)))!;
      (step.inputs as Record<string, unknown>).azureSubscription = connectionOf(role);
    };
    expect(changed((doc) => signIn(doc, "promotion", /\bpulumi up\b/, "build"))).toEqual([
      `promotion (GitHub's promote, signed in as deploy): "pulumi up" signs in with \${{ variables.BUILD_SERVICE_CONNECTION }}`,
    ]);
    expect(
      changed((doc) => signIn(doc, "challenger", /mlops release candidate/, "build")),
    ).toHaveLength(1);
    expect(changed((doc) => signIn(doc, "analyze", /mlops ab analyze/, "deploy"))).toEqual([
      `analyze (GitHub's ab-test, signed in as build): "analyze the running experiment" signs in with \${{ variables.DEPLOY_SERVICE_CONNECTION }}`,
    ]);
    expect(changed((doc) => signIn(doc, "push", /docker push/, "deploy"))).toHaveLength(1);
    expect(
      changed((doc) => {
        doc.variables = { ...doc.variables, DEPLOY_SERVICE_CONNECTION: "mlops-build" };
      }),
    ).toEqual([
      "DEPLOY_SERVICE_CONNECTION and BUILD_SERVICE_CONNECTION both name mlops-build: one identity would hold both roles",
    ]);
    expect(
      changed((doc) => {
        const { jobs } = doc.stages.find((s) => s.stage === "promote")!;
        const { environment: _, ...job } = jobs[0]!;
        jobs[0] = job;
      }),
    ).toEqual(["promotion targets environment none, GitHub's promote production"]);
  });

  it("deploys and promotes only as deployment jobs of production, one run at a time", () => {
    const deploys = allJobs().filter(({ job }) => scriptsOf(job).some((s) => /pulumi up/.test(s)));
    expect(deploys.map(({ stage }) => stage.stage)).toEqual(["deploy", "promote"]);
    for (const { stage, job } of deploys) {
      // "deploy" is a keyword, unsupported as a deployment job's name.
      expect(job.deployment).toMatch(/^(?!deploy$)[A-Za-z0-9_]+$/);
      expect(job.environment).toBe("production");
      // With the environment's Exclusive lock check, runs take the lock in turn.
      expect(stage.lockBehavior).toBe("sequential");
      // A deployment job downloads every artifact of the run unless told not to.
      expect(stepsOf(job)[0]).toEqual({ download: "none" });
    }
  });

  it("reaches private endpoints (registry, Cosmos DB, the cluster) from the in-VNet pool", () => {
    const reachesPrivate = (job: AdoJob) =>
      scriptsOf(job).some((s) =>
        /docker push|pulumi up|pnpm mlops (train|release|ab|promote)|restore-champion-artifacts|fit-garch-model/.test(
          s,
        ),
      );
    const jobs = allJobs().filter(({ job }) => reachesPrivate(job));
    expect(jobs.map(({ job }) => job.job ?? job.deployment)).toEqual([
      "train",
      "push",
      "challenger",
      "analyze",
      "promotion",
    ]);
    for (const { job } of jobs) expect(job.pool?.name).toBe("$(VNET_POOL)");
  });

  it("sets up Node 24 before anything runs npm or pnpm, and the pnpm package.json pins", async () => {
    const setupNode = (await loadSetupAction()).doc.runs.steps.find((s) =>
      s.uses?.startsWith("actions/setup-node@"),
    );
    expect(pipeline.variables.NODE_VERSION).toBe(`${setupNode?.with?.["node-version"]}.x`);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      packageManager: string;
      engines: { node: string };
    };
    expect(pkg.engines.node).toMatch(
      new RegExp(`^>=${pipeline.variables.NODE_VERSION?.split(".")[0]}\\.`),
    );
    expect(`pnpm@${pipeline.variables.PNPM_VERSION}`).toBe(pkg.packageManager);
    const usesNode = allJobs().filter(({ job }) => firstStep(job, /\b(npm|pnpm)\b|\.ci\/run/) >= 0);
    expect(usesNode.length).toBeGreaterThanOrEqual(5);
    for (const { job } of usesNode) {
      const node = stepsOf(job).findIndex((s) => s.task === "NodeTool@0");
      expect(node, job.job ?? job.deployment).toBeGreaterThanOrEqual(0);
      expect(stepsOf(job)[node]?.inputs).toEqual({
        versionSource: "spec",
        versionSpec: "$(NODE_VERSION)",
      });
      expect(node).toBeLessThan(firstStep(job, /\b(npm|pnpm)\b|\.ci\/run/));
    }
  });

  it("installs the Pulumi CLI, the GitHub workflow's version, before any step that runs it", () => {
    for (const id of ["deploy", "promote"]) {
      for (const inputs of actionInputs(id, "pulumi/actions@")) {
        expect(inputs["pulumi-version"]).toBe(pipeline.variables.PULUMI_VERSION);
      }
    }
    const jobs = pulumiJobs();
    expect(jobs.map(({ job }) => job.deployment)).toEqual(["challenger", "promotion"]);
    for (const { job } of jobs) {
      const install = firstStep(job, /\.github\/scripts\/install-pulumi\.sh "\$PULUMI_VERSION"/);
      expect(install, job.deployment).toBeGreaterThanOrEqual(0);
      expect(shellOf(stepsOf(job)[install]!)).toMatch(/##vso\[task\.prependpath\]/);
      expect(install).toBeLessThan(firstStep(job, RUNS_PULUMI));
    }
  });

  it("reaches the stack's backend and its Key Vault secrets provider, never with a passphrase", () => {
    expect(text).not.toMatch(/PULUMI_CONFIG_PASSPHRASE/);
    for (const { stage, job } of pulumiJobs()) {
      expect(stage.variables?.AZURE_KEYVAULT_AUTH_VIA_CLI).toBe("true");
      expect(stage.variables?.ARM_USE_CLI).toBe("true");
      for (const step of stepsOf(job).filter((s) => RUNS_PULUMI.test(shellOf(s)))) {
        // Signed in (the backend, the vault and azure-native use the az CLI login).
        expect(step.task, shellOf(step)).toBe("AzureCLI@2");
        expect(step.env?.PULUMI_BACKEND_URL, shellOf(step)).toBe("$(PULUMI_BACKEND_URL)");
      }
    }
    // The stack's secrets provider, once bootstrapped, is the Key Vault key (.github/README.md).
    const stack = parse(readFileSync(join(ROOT, STACK_FILE), "utf8")) as {
      secretsprovider?: string;
    };
    expect(stack.secretsprovider ?? "azurekeyvault://").toMatch(/^azurekeyvault:\/\//);
  });

  it("installs kubelogin (the workflow's version) and signs it in with the service connection", () => {
    for (const id of ["deploy", "promote"]) {
      for (const inputs of actionInputs(id, "azure/use-kubelogin@")) {
        expect(inputs["kubelogin-version"]).toBe(pipeline.variables.KUBELOGIN_VERSION);
      }
    }
    expect(text).not.toMatch(/AAD_LOGIN_METHOD: *azurecli/);
    const jobs = allJobs().filter(({ job }) => scriptsOf(job).some((s) => REACHES_CLUSTER.test(s)));
    expect(jobs.map(({ job }) => job.deployment)).toEqual(["challenger", "promotion"]);
    for (const { stage, job } of jobs) {
      const kubelogin = stepsOf(job).findIndex((s) => s.task === "KubeloginInstaller@0");
      expect(stepsOf(job)[kubelogin]?.inputs).toEqual({ kubeloginVersion: "$(KUBELOGIN_VERSION)" });
      expect(kubelogin).toBeLessThan(firstStep(job, REACHES_CLUSTER));
      // A fresh federated token from the service connection for each Entra token.
      expect(stage.variables?.AAD_LOGIN_METHOD).toBe("azurepipelines");
      for (const step of stepsOf(job).filter((s) => REACHES_CLUSTER.test(shellOf(s)))) {
        expect(step.task).toBe("AzureCLI@2");
        expect(step.env?.SYSTEM_ACCESSTOKEN).toBe("$(System.AccessToken)");
        expect(shellOf(step)).toContain(
          'export AZURE_CLIENT_ID="$AZURESUBSCRIPTION_CLIENT_ID" AZURE_TENANT_ID="$AZURESUBSCRIPTION_TENANT_ID"',
        );
      }
    }
  });

  it("restores the champion's artifacts before training with --auto-promote", () => {
    const train = stage("build").jobs.find((j) => j.job === "train")!;
    const restore = firstStep(train, /^\.github\/scripts\/restore-champion-artifacts\.sh$/);
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(stepsOf(train)[restore]?.task).toBe("AzureCLI@2");
    expect(stepsOf(train)[restore]?.env?.ACR_NAME).toBe("$(ACR_NAME)");
    expect(restore).toBeLessThan(firstStep(train, /pnpm mlops train .*--auto-promote/));
  });

  it("records each stack-config change through the shared [skip ci] script, before pulumi up", () => {
    // No commit or push of its own: those would start the pipeline again, and fail on no change.
    expect(text).not.toMatch(/\bgit +(commit|push)\b/);
    for (const { job } of pulumiJobs()) {
      const steps = stepsOf(job);
      expect(steps.find((s) => s.checkout === "self")?.persistCredentials).toBe(true);
      const record = firstStep(job, /\.github\/scripts\/commit-stack-config\.sh "/);
      expect(steps[record]?.name).toBe("record");
      expect(record).toBeGreaterThan(firstStep(job, /mlops release (candidate|plan)\b.*--apply/));
      expect(record).toBeLessThan(firstStep(job, /\bpulumi up\b/));
    }
    // Human changes to the stack file still run the pipeline; the pipeline's own do not.
    expect(pipeline.trigger.paths.exclude).not.toContain(STACK_FILE);
    // [skip ci]: Azure Pipelines honours it as GitHub does ("Skipping CI for individual commits").
    expect(readFileSync(COMMIT, "utf8")).toMatch(/--message "\$message \[skip ci\]"/);
  });

  it("smoke-tests after each pulumi up and rolls back to the commit the job started from", () => {
    for (const { job } of pulumiJobs()) {
      const smoke = firstStep(job, /pnpm mlops smoke --url "https:\/\/\$INGRESS_HOST"/);
      expect(smoke).toBeGreaterThan(firstStep(job, /\bpulumi up\b/));
      const step = stepsOf(job)[smoke]!;
      expect(shellOf(step)).toMatch(
        /then\s+\.github\/scripts\/with-smoke-credentials\.sh \.github\/scripts\/rollback\.sh --to "\$PREVIOUS" --url "https:\/\/\$INGRESS_HOST"/,
      );
      expect(step.env?.PREVIOUS).toBe("$(record.base)");
    }
  });

  it("analyzes and promotes the stack config deploy recorded", () => {
    for (const name of ["abtest", "promote"]) {
      expect(stage(name).variables?.DEPLOYED).toBe(
        "$[ stageDependencies.deploy.challenger.outputs['challenger.record.sha'] ]",
      );
      const [job] = stage(name).jobs;
      expect(stepsOf(job!).find((s) => s.checkout === "self")?.persistCredentials).toBe(true);
      const checkout = firstStep(
        job!,
        /^\.github\/scripts\/azure-pipelines-stack-config\.sh checkout "\$\{DEPLOYED:-\$BUILD_SOURCEVERSION\}"$/,
      );
      expect(checkout, name).toBeGreaterThanOrEqual(0);
      expect(checkout).toBeLessThan(firstStep(job!, /pnpm mlops/));
    }
  });

  it("pins Trivy by digest, or says why not", () => {
    const image = pipeline.variables.TRIVY_IMAGE!;
    expect(image).toMatch(/^aquasec\/trivy:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/);
    if (!image.includes("@sha256:")) expect(text).toMatch(/# Pinned by version only: /);
  });

  it("pushes the image repository the prod stack deploys", () => {
    const stack = parse(readFileSync(join(ROOT, STACK_FILE), "utf8")) as {
      config: Record<string, { imageRepository?: string }>;
    };
    expect(pipeline.variables.IMAGE_REPOSITORY).toBe(
      stack.config["mlops-platform:serving"]?.imageRepository,
    );
  });

  it("runs only repository scripts and pnpm scripts that exist", () => {
    const shell = allJobs()
      .flatMap(({ job }) => scriptsOf(job))
      .join("\n");
    const scripts = [
      ...new Set([...shell.matchAll(/\.github\/scripts\/[a-z-]+\.sh/g)].map((m) => m[0])),
    ];
    expect(scripts.sort()).toEqual([
      ".github/scripts/azure-pipelines-stack-config.sh",
      ".github/scripts/commit-stack-config.sh",
      ".github/scripts/first-release-config.sh",
      ".github/scripts/fit-garch-model.sh",
      ".github/scripts/install-pulumi.sh",
      ".github/scripts/restore-champion-artifacts.sh",
      ".github/scripts/rollback.sh",
      ".github/scripts/with-smoke-credentials.sh",
    ]);
    for (const script of [...scripts, ".ci/run"]) {
      expect(() => accessSync(join(ROOT, script), constants.X_OK), script).not.toThrow();
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    for (const [, name] of shell.matchAll(/\bpnpm (?:--silent )?([a-z][a-z:-]*)/g)) {
      if (name !== "install") expect(Object.keys(pkg.scripts), `pnpm ${name}`).toContain(name);
    }
  });

  it("calls only mlops commands and flags that exist", async () => {
    const shell = allJobs().flatMap(({ job }) => scriptsOf(job));
    const calls = [
      ...shell.flatMap(invocations),
      ...scriptsCalled(shell.join("\n")).flatMap((name) => invocations(scriptText(name))),
    ];
    expect(new Set(calls.map((c) => c.command))).toEqual(
      new Set([
        "train",
        "release candidate",
        "release experiment",
        "release show",
        "release plan",
        "ab analyze",
        "smoke",
        // A release that needs them: the GARCH model's fit and alias, the first champion.
        "models list",
        "garch fit",
        "promote",
      ]),
    );
    await expectMlopsCallsExist(calls);
  }, 120_000);
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "azure-pipelines-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** git as the jobs use it: no user config, an identity for commits. */
const git = (cwd: string, ...args: string[]) => jobGit(dir)(cwd, ...args);

/** A branch `main` on a fresh local remote holding the prod stack file, and its clone. */
const branch = (name: string) => stackBranch(dir, name);

/**
 * What an Azure Pipelines agent gives the scripts (TF_BUILD, the branch as refs/heads/…, no
 * GITHUB_* variables: git pushes with the checkout's persisted credentials), with `pulumi` (a
 * recorder) first on PATH.
 */
const adoEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  HOME: dir,
  TF_BUILD: "True",
  BUILD_SOURCEBRANCH: "refs/heads/main",
  PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
  FAKE_PULUMI_LOG: join(dir, "pulumi.log"),
  ...extra,
});

describe("the stack-config scripts with an Azure Pipelines agent's environment", () => {
  beforeAll(async () => {
    // `pulumi`: records each call with the hash of the stack file it ran with.
    await mkdir(join(dir, "bin"));
    await writeFile(
      join(dir, "bin", "pulumi"),
      `#!/usr/bin/env bash\necho "$* $(sha256sum ${STACK_FILE} | cut -d' ' -f1)" >> "$FAKE_PULUMI_LOG"\n`,
    );
    await chmod(join(dir, "bin", "pulumi"), 0o755);
  });

  it("records a changed stack file as a [skip ci] commit, skips an unchanged one, sets both output variables", async () => {
    const { remote, work, base } = await branch("record");
    const same = await run("bash", [COMMIT, "release: nothing"], { cwd: work, env: adoEnv() });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/unchanged: nothing to record/);
    // What the YAML reads as record.base and record.sha.
    expect(outputs(same.stdout)).toEqual({ base, sha: base });

    await editStack(work, "canaryWeight: 10", "canaryWeight: 0");
    const changed = await run("bash", [COMMIT, "release: promote"], { cwd: work, env: adoEnv() });
    expect(changed.code, changed.stderr).toBe(0);
    const [sha, parent, ...subject] = (
      await git(remote, "log", "-1", "--format=%H %P %s", "main")
    ).stdout
      .trim()
      .split(" ");
    expect(subject.join(" ")).toBe("release: promote [skip ci]");
    expect(parent).toBe(base);
    expect(outputs(changed.stdout)).toEqual({ base, sha });
    expect(changed.stdout).toContain(`recorded ${STACK_FILE} on main: ${sha}`);

    // Without a branch, or with a ref that is not a branch, it refuses.
    const noBranch = await run("bash", [COMMIT, "m"], { cwd: work, env: { HOME: dir } });
    expect(noBranch.code).toBe(2);
    expect(noBranch.stderr).toMatch(/GITHUB_REF_NAME or BUILD_SOURCEBRANCH \(refs\/heads\/…\)/);
    const tag = await run("bash", [COMMIT, "m"], {
      cwd: work,
      env: adoEnv({ BUILD_SOURCEBRANCH: "refs/tags/v1" }),
    });
    expect(tag.code).toBe(2);
    expect(tag.stderr).toContain("BUILD_SOURCEBRANCH is 'refs/tags/v1'");
  });

  it("refuses to record (so nothing is deployed) when the branch moved after the checkout", async () => {
    const { remote, work, base } = await branch("moved");
    const tip = await recordAnotherRelease(dir, remote);

    for (const changed of [false, true]) {
      if (changed) await editStack(work, "canaryWeight: 10", "canaryWeight: 0");
      const out = await run("bash", [COMMIT, "release: promote"], { cwd: work, env: adoEnv() });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`main moved from ${base} to ${tip}`);
      expect(outputs(out.stdout)).toEqual({});
    }
    expect((await git(remote, "rev-parse", "main")).stdout.trim()).toBe(tip);
  });

  it("checks out the commit deploy recorded", async () => {
    const { remote, work, base } = await branch("checkout");
    const later = join(dir, "checkout-later");
    await git(dir, "clone", "--quiet", remote, later);
    await editStack(work, "canaryWeight: 10", "canaryWeight: 0");
    await run("bash", [COMMIT, "release: challenger"], { cwd: work, env: adoEnv() });
    const recorded = (await git(remote, "rev-parse", "main")).stdout.trim();
    expect(recorded).not.toBe(base);

    const out = await run("bash", [CHECKOUT, "checkout", recorded], {
      cwd: later,
      env: adoEnv(),
    });
    expect(out.code, out.stderr).toBe(0);
    expect((await git(later, "rev-parse", "HEAD")).stdout.trim()).toBe(recorded);
    expect(await readFile(join(later, STACK_FILE), "utf8")).toContain("canaryWeight: 0");

    // Checking out is all it does.
    for (const args of [["record", "m"], ["checkout"], []]) {
      const refused = await run("bash", [CHECKOUT, ...args], { cwd: later, env: adoEnv() });
      expect(refused.code, args.join(" ")).not.toBe(0);
      expect(refused.stderr, args.join(" ")).toMatch(
        /usage: azure-pipelines-stack-config\.sh checkout <commit>/,
      );
    }
    const noBranch = await run("bash", [CHECKOUT, "checkout", base], {
      cwd: later,
      env: { HOME: dir },
    });
    expect(noBranch.stderr).toMatch(/BUILD_SOURCEBRANCH names the branch/);
  });

  /** A loopback port nothing listens on: the second smoke test cannot pass. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it("rolls back: restores, records ([skip ci]), applies, smoke-tests again, and fails the run", async () => {
    const { remote, work, base } = await branch("rollback");
    const before = await readFile(join(work, STACK_FILE), "utf8");
    await editStack(work, "challengerImageTag: 1.5.0-rc.1", "challengerImageTag: 2.0.0-broken");
    const env = adoEnv({ FAKE_PULUMI_LOG: join(dir, "rollback-pulumi.log") });
    const released = await run("bash", [COMMIT, "release: broken"], { cwd: work, env });
    expect(released.code, released.stderr).toBe(0);
    const broken = (await git(work, "rev-parse", "HEAD")).stdout.trim();

    const url = `http://127.0.0.1:${await closedPort()}`;
    const out = await run(
      "bash",
      [ROLLBACK, "--to", base, "--url", url, "--", "--no-routing", "--timeout", "1"],
      { cwd: work, env, timeoutMs: 120_000 },
    );
    expect(out.code).toBe(1);
    // The summary is the step's log here (no $GITHUB_STEP_SUMMARY).
    expect(out.stdout).toContain("-    challengerImageTag: 2.0.0-broken");
    expect(out.stdout).toMatch(/Second smoke test after the rollback: \*\*failed\*\* too/);
    expect(await readFile(join(work, STACK_FILE), "utf8")).toBe(before);
    expect((await git(remote, "show", `main:${STACK_FILE}`)).stdout).toBe(before);
    const [rolledBack, parent, ...subject] = (
      await git(remote, "log", "-1", "--format=%H %P %s", "main")
    ).stdout
      .trim()
      .split(" ");
    expect(subject.join(" ")).toMatch(
      /^rollback: restore Pulumi\.prod\.yaml of [0-9a-f]{7,} \(smoke failed on [0-9a-f]{7,}\) \[skip ci\]$/,
    );
    expect(parent).toBe(broken);
    expect(outputs(out.stdout)).toEqual({ base: broken, sha: rolledBack });
    expect((await readFile(env.FAKE_PULUMI_LOG!, "utf8")).trim().split("\n")).toEqual([
      `up --stack prod --yes --diff --non-interactive ${sha256(before)}`,
    ]);
  }, 120_000);

  it("rolls nothing back when the release did not change the stack config", async () => {
    const { work, base } = await branch("no-change");
    const env = adoEnv({ FAKE_PULUMI_LOG: join(dir, "no-change-pulumi.log") });
    const out = await run("bash", [ROLLBACK, "--to", base, "--url", "http://127.0.0.1:9"], {
      cwd: work,
      env,
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/the failure is not a config change, nothing to roll back/);
    expect(await readFile(env.FAKE_PULUMI_LOG!, "utf8").catch(() => "")).toBe("");
  });
});

describe("install-pulumi.sh", () => {
  const version = "3.276.0";
  const archive = `pulumi-v${version}-linux-x64.tar.gz`;
  const sums = `pulumi-${version}-checksums.txt`;
  let release: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // A release as pulumi/pulumi publishes it: the CLI under pulumi/, and the checksums file.
    release = join(dir, "release");
    await mkdir(join(release, "tree", "pulumi"), { recursive: true });
    await writeFile(join(release, "tree", "pulumi", "pulumi"), `#!/bin/sh\necho v${version}\n`);
    await chmod(join(release, "tree", "pulumi", "pulumi"), 0o755);
    const tar = await run("tar", [
      "-czf",
      join(release, archive),
      "-C",
      join(release, "tree"),
      "pulumi",
    ]);
    expect(tar.code, tar.stderr).toBe(0);
    // `curl`: answers each URL with the file of that name from the local release, and logs it.
    const bin = join(dir, "curl-bin");
    await mkdir(bin);
    await writeFile(
      join(bin, "curl"),
      [
        "#!/usr/bin/env bash",
        'out="" url=""',
        "while [ $# -gt 0 ]; do case $1 in --output) out=$2; shift 2 ;; --retry) shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done",
        'echo "$url" >> "$FAKE_CURL_LOG"',
        'cp "$FAKE_RELEASE/$(basename "$url")" "$out"',
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "curl"), 0o755);
    env = {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      FAKE_RELEASE: release,
      FAKE_CURL_LOG: join(dir, "curl.log"),
    };
  });

  it("installs the release whose archive matches the release's checksums, from the release", async () => {
    const digest = sha256(await readFile(join(release, archive)));
    await writeFile(
      join(release, sums),
      `${"0".repeat(64)}  pulumi-v${version}-darwin-x64.tar.gz\n${digest}  ${archive}\n`,
    );
    const dest = join(dir, "tools", "pulumi", version);
    const out = await run("bash", [INSTALL_PULUMI, version, dest], { env });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe(`v${version}`);
    expect(() => accessSync(join(dest, "pulumi"), constants.X_OK)).not.toThrow();
    expect((await readFile(env.FAKE_CURL_LOG!, "utf8")).trim().split("\n")).toEqual([
      `https://github.com/pulumi/pulumi/releases/download/v${version}/${sums}`,
      `https://github.com/pulumi/pulumi/releases/download/v${version}/${archive}`,
    ]);
  });

  it("refuses an archive the checksums file does not vouch for, and a version that is not X.Y.Z", async () => {
    await writeFile(join(release, sums), `${"0".repeat(64)}  ${archive}\n`);
    const dest = join(dir, "tampered");
    const out = await run("bash", [INSTALL_PULUMI, version, dest], { env });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/the release lists 0{64}: not installed/);
    expect(() => accessSync(dest)).toThrow();
    const bad = await run("bash", [INSTALL_PULUMI, "latest", dest], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/version must be X\.Y\.Z/);
  });
});
