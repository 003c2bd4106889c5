/**
 * The workflows read against the estate they deploy: every job that reaches a private endpoint
 * runs on the runner inside the VNet; every job that runs Pulumi installs kubelogin and sets its
 * login mode; one identity per kind of job (previews read-only, deploys only from the protected
 * environment); deploy's commit is the one ab-test and promote check out, and stack-config
 * commits never interleave; a failed smoke test rolls back; scheduled retraining; training on
 * Azure ML.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CiFiles, expr, fromVars, IDENTITY, IN_VNET, invocations, runsOf } from "./inspect.js";
import { type Job, needsOf, ROOT } from "./support.js";

let files: CiFiles;
beforeAll(async () => {
  files = await CiFiles.load();
});

describe("reaching the estate", () => {
  it("every job that reaches a private endpoint runs on the runner inside the VNet", () => {
    const reaching = files.jobs().filter(({ job }) => files.reachesPrivateEndpoint(job));
    expect(reaching.map(({ id }) => id).sort()).toEqual(
      ["ab-test", "deploy", "promote", "push", "train", "train-image-push"].sort(),
    );
    for (const { w, id, job } of reaching) expect(job["runs-on"], `${w.path}:${id}`).toBe(IN_VNET);
    // Nothing else takes a self-hosted runner: pull requests never run on it.
    for (const { id, job } of files
      .jobs()
      .filter(({ job }) => !files.reachesPrivateEndpoint(job))) {
      expect(job["runs-on"], id).toBe("ubuntu-24.04");
    }
  });

  it("every job that runs Pulumi installs the CLI and kubelogin (pinned) and sets kubelogin's login mode", () => {
    const pulumiJobs = files.jobs().filter(({ job }) => files.runsPulumi(job));
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
      expect(pipelineCliVersion(job), id).toBe("3.276.0");
      expect(index("pulumi/actions@"), id).toBeLessThan(firstPulumi);
      expect(job.env?.AAD_LOGIN_METHOD, id).toBe("workloadidentity");
      expect(job.env?.AZURE_CLIENT_ID, id).toBe(job.env?.ARM_CLIENT_ID);
      expect(job.env?.AZURE_TENANT_ID, id).toBe(fromVars("AZURE_TENANT_ID"));
      expect(job.permissions?.["id-token"], id).toBe("write");
    }
  });

  it("the Pulumi CLI the jobs install is the SDK's version", async () => {
    const infra = JSON.parse(await readFile(join(ROOT, "infra/package.json"), "utf8"));
    expect(pipelineCliVersion(files.pipeline.jobs.deploy!)).toBe(
      infra.dependencies["@pulumi/pulumi"],
    );
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
    const gated = files.jobs().filter(({ job }) => job.environment !== undefined);
    expect(gated.map(({ id }) => id).sort()).toEqual(["deploy", "promote"]);
    for (const { id, job } of gated) {
      expect(job.environment, id).toBe("production");
      expect(identitiesOf(job), id).toEqual(new Set([IDENTITY.deploy]));
    }
    for (const { id, job } of files.jobs().filter(({ job }) => job.environment === undefined)) {
      expect(identitiesOf(job).has(IDENTITY.deploy), id).toBe(false);
    }
  });

  it("what moves traffic or the champion runs only in those gated jobs", () => {
    const applying = files.jobs().flatMap(({ id, job }) =>
      invocations(runsOf(job))
        .filter((c) => c.flags.includes("--apply"))
        .map((c) => `${id}: ${c.command}`),
    );
    expect(applying.sort()).toEqual([
      "deploy: release candidate",
      "promote: ab analyze",
      "promote: release plan",
    ]);
    // Aliases move outside a decision only in deploy: a first release's champion, a new GARCH fit.
    const promoting = files.jobs().flatMap(({ id, job }) =>
      invocations(files.shellOf(job))
        .filter((c) => c.command === "promote")
        .map(() => id),
    );
    expect(promoting).toEqual(["deploy", "deploy"]);
    const upping = files
      .jobs()
      .filter(({ job }) => /pulumi up/.test(files.shellOf(job)))
      .map(({ id }) => id);
    expect(upping.sort()).toEqual(["deploy", "promote"]);
  });

  it("pull-request jobs use the preview identity only, and the pipeline never runs on pull requests", () => {
    expect(Object.keys(files.ci.on)).toContain("pull_request");
    expect(Object.keys(files.pipeline.on)).not.toContain("pull_request");
    expect(Object.keys(files.pipeline.on)).not.toContain("pull_request_target");
    for (const [id, job] of Object.entries(files.ci.jobs)) {
      const ids = identitiesOf(job);
      expect(
        [...ids].every((i) => i === IDENTITY.preview),
        id,
      ).toBe(true);
    }
    expect(identitiesOf(files.ci.jobs.preview!)).toEqual(new Set([IDENTITY.preview]));
    const ciText = files.workflows.find((w) => w.path.endsWith("ci.yml"))!.text;
    expect(ciText).not.toMatch(/AZURE_(DEPLOY|BUILD)_CLIENT_ID/);
    expect(files.ci.jobs.preview!.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("the ungated pipeline jobs use the build identity, never the preview one", () => {
    const pipelineText = files.workflows.find((w) => w.path.endsWith("mlops-pipeline.yml"))!.text;
    expect(pipelineText).not.toContain(IDENTITY.preview);
    for (const [id, job] of Object.entries(files.pipeline.jobs)) {
      if (job.environment !== undefined) continue;
      const ids = identitiesOf(job);
      if (ids.size > 0) expect(ids, id).toEqual(new Set([IDENTITY.build]));
    }
  });
});

describe("releases", () => {
  it("deploy exposes the commit it recorded, and ab-test and promote check out exactly that", () => {
    const deploy = files.pipeline.jobs.deploy!;
    expect(deploy.outputs?.sha).toBe(expr("steps.record.outputs.sha"));
    const record = deploy.steps.find((s) => s.id === "record");
    expect(record?.run).toMatch(/\.github\/scripts\/commit-stack-config\.sh/);
    for (const id of ["ab-test", "promote"]) {
      const job = files.pipeline.jobs[id]!;
      expect(needsOf(job), id).toContain(id === "ab-test" ? "deploy" : "ab-test");
      const checkouts = job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"));
      expect(checkouts, id).toHaveLength(1);
      expect(checkouts[0]!.with?.ref, id).toBe(expr("needs.deploy.outputs.sha || github.sha"));
    }
    expect(needsOf(files.pipeline.jobs.promote!)).toContain("deploy");
  });

  it("stack-config commits never interleave: one run at a time, one pulumi up at a time, a fast-forward check before each push", () => {
    expect(files.pipeline.concurrency).toEqual({
      group: "mlops-pipeline-prod",
      "cancel-in-progress": false,
    });
    const groups = ["deploy", "promote"].map((id) => files.pipeline.jobs[id]!.concurrency);
    expect(groups[0]).toEqual({ group: "pulumi-prod", "cancel-in-progress": false });
    expect(groups[1]).toEqual(groups[0]);
    // Every push to the branch goes through the helper, whose check the commit-helper test drives.
    for (const { id, job } of files.jobs()) {
      const shell = files.shellOf(job);
      if (!/git(_auth)? push|git -c [^\n]* push/.test(shell)) continue;
      expect(files.scriptsCalledBy(job), id).toContain("commit-stack-config.sh");
    }
    const helper = files.scripts.get("commit-stack-config.sh")!;
    expect(helper.indexOf("fetch --quiet origin")).toBeLessThan(helper.indexOf("push --quiet"));
  });

  it("a failed smoke test after deploy or promote rolls back to the config the job started from", () => {
    for (const id of ["deploy", "promote"]) {
      const steps = files.pipeline.jobs[id]!.steps;
      const smoke = steps.findIndex((s) => s.id === "smoke");
      expect(steps[smoke]?.run, id).toMatch(/pnpm mlops smoke --url "https:\/\/\$INGRESS_HOST"/);
      expect(
        steps.findIndex((s) => /^\s*pulumi up/m.test(s.run ?? "")),
        id,
      ).toBeLessThan(smoke);
      const rollback = steps[smoke + 1]!;
      expect(rollback.if, id).toBe("failure() && steps.smoke.outcome == 'failure'");
      // The rollback ends in a smoke test too, so it runs with the smoke test's credentials.
      expect(rollback.run, id).toMatch(
        /^\.github\/scripts\/with-smoke-credentials\.sh\s+\.github\/scripts\/rollback\.sh --to "\$PREVIOUS" --url "https:\/\/\$INGRESS_HOST"/,
      );
      expect(steps[smoke]?.run, id).toMatch(
        /with-smoke-credentials\.sh\s+\\?\s*pnpm mlops smoke .* --edge/,
      );
      expect(rollback.env?.PREVIOUS, id).toBe(expr("steps.record.outputs.base"));
      expect(rollback.env?.GITHUB_TOKEN, id).toBe(
        expr("steps.app-token.outputs.token || github.token"),
      );
    }
  });

  it("retrains weekly on a literal cron, switched off by a repository variable in train's if", () => {
    const schedule = files.pipeline.on.schedule as { cron: string }[];
    expect(schedule).toHaveLength(1);
    const fields = schedule[0]!.cron.split(" ");
    expect(fields).toHaveLength(5);
    expect(schedule[0]!.cron).not.toContain("${{");
    // minute hour * * weekday: once a week.
    expect(fields.slice(0, 2).every((f) => /^\d+$/.test(f))).toBe(true);
    expect(fields.slice(2, 4)).toEqual(["*", "*"]);
    expect(fields[4]).toMatch(/^[0-6]$/);
    for (const id of ["train-image", "train"]) {
      expect(files.pipeline.jobs[id]!.if, id).toContain(
        "(github.event_name != 'schedule' || vars.MLOPS_SCHEDULED_TRAINING != 'off')",
      );
    }
  });

  it("a scheduled run trains and gates, builds and deploys only a candidate that passed, and analyses nothing", () => {
    const stagesOf = (id: string) => {
      const m = /contains\(fromJSON\('(\[[^\]]*\])'\)/.exec(files.pipeline.jobs[id]!.if ?? "");
      return m ? (JSON.parse(m[1]!) as string[]) : null;
    };
    expect(stagesOf("train")).toContain("retrain");
    expect(stagesOf("image")).toContain("retrain");
    expect(files.pipeline.jobs.image!.if).toContain("needs.train.outputs.promoted == 'true'");
    expect(stagesOf("ab-test")).not.toContain("retrain");
    expect(stagesOf("promote")).not.toContain("retrain");
    // The gate compares with the champion on the held-out rows, here or after an Azure ML job.
    const train = runsOf(files.pipeline.jobs.train!);
    expect(train).toMatch(/--auto-promote --promotion-threshold/);
    expect(files.scripts.get("azureml-train.sh")).toMatch(/pnpm --silent mlops gate /);
    // The deploy of a passing candidate defines (starts) its experiment.
    expect(runsOf(files.pipeline.jobs.deploy!)).toMatch(/pnpm mlops release experiment/);
  });
});

describe("a first release", () => {
  /** The index of the step of `job` whose run (or id) matches. */
  const at = (job: Job, match: RegExp) =>
    job.steps.findIndex((s) => match.test(s.run ?? "") || match.test(s.id ?? ""));

  it("train says whether the gate found a champion, and fits the GARCH model before the upload", () => {
    const train = files.pipeline.jobs.train!;
    expect(train.outputs?.["first-release"]).toBe(expr("steps.candidate.outputs.first-release"));
    expect(train.outputs?.["garch-version"]).toBe(expr("steps.garch.outputs.garch-version"));
    // No champion to gate against (`promotion.champion` null, gate.test.ts): the first release.
    expect(train.steps.find((s) => s.id === "candidate")?.run).toContain(
      "first=$(jq -r '.promotion.champion == null' candidates/challenger.json)",
    );
    const garch = train.steps.find((s) => s.id === "garch")!;
    expect(garch.run).toBe(".github/scripts/fit-garch-model.sh");
    expect(garch.if).toContain("steps.candidate.outputs.promoted == 'true'");
    expect(garch.env?.FIRST_RELEASE).toBe(expr("steps.candidate.outputs.first-release"));
    const upload = train.steps.findIndex((s) => s.with?.name === "models");
    expect(train.steps.indexOf(garch)).toBeLessThan(upload);
    expect(train.env?.GARCH_DATA).toBe("garch/data/dem2gbp.csv");
  });

  it("deploy: stack config before the candidate, the GARCH alias before pulumi up, the champion after the smoke test", () => {
    const deploy = files.pipeline.jobs.deploy!;
    const config = at(deploy, /first-release-config\.sh/);
    const candidate = at(deploy, /mlops release candidate/);
    const record = at(deploy, /^record$/);
    const garchAlias = at(deploy, /mlops promote --name "\$\{GARCH_MODEL%@\*\}"/);
    const up = at(deploy, /^pulumi up/);
    const smoke = at(deploy, /^smoke$/);
    const champion = at(deploy, /mlops promote --name "\$MODEL_NAME"/);
    expect(config).toBeGreaterThan(-1);
    expect([config, candidate, record, garchAlias, up, smoke, champion]).toEqual(
      [config, candidate, record, garchAlias, up, smoke, champion].sort((a, b) => a - b),
    );
    // After the rollback step too, which a failed smoke test runs instead.
    expect(champion).toBe(smoke + 2);
    expect(deploy.steps[config]!.if).toContain("needs.train.outputs.first-release == 'true'");
    expect(deploy.steps[config]!.env?.IMAGE_TAG).toBe(expr("github.sha"));
    expect(deploy.steps[garchAlias]!.if).toContain("needs.train.outputs.garch-version != ''");
    const promote = deploy.steps[champion]!;
    expect(promote.if).toBe(
      "needs.push.result == 'success' && needs.train.outputs.first-release == 'true'",
    );
    // Forced, and only while the registry has no champion.
    expect(promote.run).toMatch(/--alias champion --expected-version none --force --reason "/);
  });
});

describe("training on Azure ML", () => {
  it("builds, scans and pushes the training image like the serving image, and registers it as the environment train names", () => {
    expect(runsOf(files.pipeline.jobs["train-image"]!)).toMatch(
      /docker build --file training\/Dockerfile/,
    );
    const push = files.pipeline.jobs["train-image-push"]!;
    expect(runsOf(push).replace(/ *\\\n\s*/g, " ")).toMatch(
      /az ml environment create --name "\$TRAINING_IMAGE_REPOSITORY" --version "\$\{GITHUB_SHA::12\}" --image "\$IMAGE"/,
    );
    expect(push.outputs?.["environment-id"]).toBe(expr("steps.register.outputs.environment-id"));
    const azureml = files.pipeline.jobs.train!.steps.find((s) =>
      /azureml-train\.sh/.test(s.run ?? ""),
    );
    expect(azureml?.if).toBe("vars.MLOPS_TRAIN_TARGET == 'azureml'");
    expect(azureml?.env?.AZUREML_ENVIRONMENT).toBe(
      expr("needs.train-image-push.outputs.environment-id"),
    );
    expect(files.pipeline.jobs["train-image"]!.if).toContain(
      "vars.MLOPS_TRAIN_TARGET == 'azureml'",
    );
  });

  it("runs a command job or a sweep with Bandit termination, in the shared store", () => {
    const script = files.scripts.get("azureml-train.sh")!.replace(/\\\n\s*/g, " ");
    expect(script).toMatch(/pnpm --silent mlops train --target azureml /);
    expect(script).toMatch(
      /pnpm --silent mlops sweep --target azureml [^\n]*--policy bandit --slack-factor 0\.1/,
    );
    expect(files.pipeline.jobs.train!.env?.MLOPS_STORE).toBe("cosmos");
  });
});
