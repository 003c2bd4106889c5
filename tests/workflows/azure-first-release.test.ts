/**
 * The first release on Azure DevOps, held to the GitHub workflow's (mlops-pipeline.yml, tested in
 * estate.test.ts and first-release.test.ts): train sets the GitHub train job's outputs as output
 * variables, with the same values for the same candidate and registry (its steps and GitHub's run
 * here with a fake `pnpm`); every output variable the pipeline reads is one the step it names
 * sets, by the name Azure Pipelines gives it; and the build and deploy stages run the GitHub jobs'
 * first-release steps (the GARCH fit, first-release-config.sh, the GARCH alias, the first
 * champion): the same commands, in the same order, under the same conditions, with every variable
 * they and their scripts read.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdoJob,
  type AdoPipeline,
  type AdoStage,
  type AdoStep,
  dependsOn,
  firstStep,
  jobName,
  outputs,
  pipeline,
  scriptsCalled,
  scriptText,
  setsOutput,
  shellOf,
  stage,
  stepsOf,
} from "./azure-inspect.js";
import { expr } from "./inspect.js";
import { type Job, loadWorkflow, ROOT, run, type Step, type Workflow } from "./support.js";

let workflow: Workflow;
let githubTrain: Job;
let githubDeploy: Job;
beforeAll(async () => {
  workflow = (await loadWorkflow("mlops-pipeline.yml")).doc;
  githubTrain = workflow.jobs.train!;
  githubDeploy = workflow.jobs.deploy!;
});

const job = (stageName: string, name: string): AdoJob => {
  const found = stage(stageName).jobs.find((j) => jobName(j) === name);
  if (!found) throw new Error(`no job ${name} in stage ${stageName}`);
  return found;
};
const adoTrain = () => job("build", "train");
const adoDeploy = () => job("deploy", "challenger");

/**
 * A GitHub output's name as an Azure Pipelines variable name, which takes letters, digits, `.` and
 * `_` only ("Define variables", "Variable naming restrictions"): `first-release` → `firstRelease`.
 */
const azureName = (output: string) =>
  output.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** GitHub's predefined values the shared steps read (as an expression, in the shell), and Azure's. */
const PREDEFINED = [{ context: "github.sha", env: "GITHUB_SHA", azure: "Build.SourceVersion" }];
/** A variable's name in a step's environment: upper case, `.` → `_` ("Define variables"). */
const envName = (variable: string) => variable.toUpperCase().replaceAll(".", "_");

/** A GitHub expression that is one step's output, `${{ steps.<step>.outputs.<output> }}`. */
const STEP_OUTPUT = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/;

/** The step and output behind GitHub train job output `name` (`${{ steps.<step>.outputs.<o> }}`). */
function trainOutput(name: string): { step: string; output: string } {
  const value = githubTrain.outputs?.[name] ?? "";
  const m = STEP_OUTPUT.exec(value);
  if (!m) throw new Error(`GitHub's train has no step output ${name} (${value})`);
  return { step: m[1]!, output: m[2]! };
}

/** How the deploy stage reads GitHub train job output `name`: the build stage's train job's. */
function fromTrain(name: string): string {
  const { step, output } = trainOutput(name);
  return `$[ stageDependencies.build.train.outputs['${step}.${azureName(output)}'] ]`;
}

/** The deploy stage's variable that holds GitHub train job output `name`. */
function deployVariable(name: string): string {
  const found = Object.entries(stage("deploy").variables ?? {}).find(
    ([, value]) => value === fromTrain(name),
  );
  if (!found) throw new Error(`the deploy stage has no variable ${fromTrain(name)}`);
  return found[0];
}

/** A GitHub `env:` value as the Azure step gets it (a same-job output, a stage variable, …). */
function azureValue(value: string): string {
  const step = STEP_OUTPUT.exec(value);
  if (step) return `$(${step[1]}.${azureName(step[2]!)})`;
  const needs = /^\$\{\{ needs\.train\.outputs\.([\w-]+) \}\}$/.exec(value);
  if (needs) return fromTrain(needs[1]!);
  const predefined = PREDEFINED.find((p) => value === expr(p.context));
  if (predefined) return `$(${predefined.azure})`;
  if (!value.includes("${{")) return value;
  throw new Error(`no Azure Pipelines counterpart for ${value}`);
}

/**
 * The comparisons on outputs in a GitHub `if:`, as Azure Pipelines condition terms: a same-job
 * output is variables['<step>.<name>'], a train output the deploy stage's variable.
 */
function conditionTerms(githubIf: string): string[] {
  return [
    ...githubIf.matchAll(
      /(?:steps\.([\w-]+)\.outputs\.([\w-]+)|needs\.train\.outputs\.([\w-]+)) (==|!=) ('[^']*')/g,
    ),
  ].map((m) => {
    const variable =
      m[1] === undefined
        ? `variables.${deployVariable(m[3]!)}`
        : `variables['${m[1]}.${azureName(m[2]!)}']`;
    return `${m[4] === "==" ? "eq" : "ne"}(${variable}, ${m[5]})`;
  });
}

/**
 * The variables `step` of stage `s` reads (in its shell, and the required ones, `${X:?…}` or
 * `${X:-}`, of the scripts it calls) that nothing gives it: not the pipeline's, the stage's or
 * the step's variables, nor the shell's own assignments or an Azure predefined one.
 */
function unprovided(s: AdoStage, step: AdoStep): string[] {
  const shell = shellOf(step);
  const provided = new Set([
    ...Object.keys(pipeline.variables),
    ...Object.keys(s.variables ?? {}),
    ...Object.keys(step.env ?? {}),
    ...[...shell.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
    ...PREDEFINED.map((p) => envName(p.azure)),
  ]);
  const read = [
    ...[...shell.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
    ...scriptsCalled(shell).flatMap((name) =>
      [...scriptText(name).matchAll(/\$\{([A-Z][A-Z0-9_]*):(?:\?|-\})/g)].map((m) => m[1]!),
    ),
  ];
  return [...new Set(read)].filter((name) => !provided.has(name)).sort();
}

/** Azure's predefined variables' namespaces: `$(Build.SourceVersion)` is no step's output. */
const PREDEFINED_NAMESPACES = new Set(["Agent", "Build", "Pipeline", "System", "Environment"]);

/**
 * Why `job` has no output `path` as another job or stage names it (undefined: it has): a job's
 * outputs are `<step>.<variable>`, a runOnce deployment job's `<job>.<step>.<variable>` ("Deployment
 * jobs", "Support for output variables"; with an environment resource the prefix would be
 * Deploy_<resource>), and the step must set the variable with isOutput=true.
 */
function missingOutput(job: AdoJob, path: string): string | undefined {
  const prefix = job.deployment === undefined ? [] : [job.deployment];
  const parts = path.split(".");
  const named = [...prefix, "<step>", "<variable>"].join(".");
  if (parts.length !== prefix.length + 2 || prefix.some((p, i) => parts[i] !== p)) {
    return `${jobName(job)}'s outputs are named ${named}, not ${path}`;
  }
  const [stepName, variable] = parts.slice(prefix.length) as [string, string];
  const step = stepsOf(job).find((s) => s.name === stepName);
  if (step === undefined) return `${jobName(job)} has no step named ${stepName}`;
  if (!setsOutput(step, variable)) {
    return `${jobName(job)}'s step ${stepName} sets no output variable ${variable} (isOutput=true)`;
  }
  return undefined;
}

/**
 * Where `doc` reads an output variable that is not there (none: every read resolves): a stage's
 * variables (`stageDependencies.<stage>.<job>.outputs[…]`) and condition
 * (`dependencies.<stage>.outputs['<job>.…']`) only from a stage it depends on, a job's condition
 * (`dependencies.<job>.outputs[…]`) only from a job it depends on, and a step's env, inputs and
 * condition (`$(<step>.<variable>)`, `variables['<step>.<variable>']`) only from an earlier step
 * of its job ("Set variables in scripts": output variables in the same job, in future jobs, in
 * future stages).
 */
function outputReadProblems(doc: AdoPipeline): string[] {
  const problems: string[] = [];
  const read = (where: string, from: AdoStage | undefined, name: string, path: string) => {
    const found = from?.jobs.find((j) => jobName(j) === name);
    const problem =
      found === undefined ? `no job ${name} in stage ${from?.stage}` : missingOutput(found, path);
    if (problem !== undefined) problems.push(`${where}: ${problem}`);
  };
  const stageNamed = (name: string) => doc.stages.find((s) => s.stage === name);
  for (const s of doc.stages) {
    const upstream = (where: string, from: string) => {
      if (!dependsOn(s).includes(from)) {
        problems.push(`${where}: reads stage ${from}, which ${s.stage} does not depend on`);
      }
    };
    for (const [name, value] of Object.entries(s.variables ?? {})) {
      for (const m of value.matchAll(/stageDependencies\.(\w+)\.(\w+)\.outputs\['([\w.]+)'\]/g)) {
        upstream(`${s.stage}.variables.${name}`, m[1]!);
        read(`${s.stage}.variables.${name}`, stageNamed(m[1]!), m[2]!, m[3]!);
      }
    }
    const stageReads = (s.condition ?? "").matchAll(
      /(?<![\w.])dependencies\.(\w+)\.outputs\['(\w+)\.([\w.]+)'\]/g,
    );
    for (const m of stageReads) {
      upstream(`${s.stage}.condition`, m[1]!);
      read(`${s.stage}.condition`, stageNamed(m[1]!), m[2]!, m[3]!);
    }
    for (const j of s.jobs) {
      const jobReads = (j.condition ?? "").matchAll(
        /(?<![\w.])dependencies\.(\w+)\.outputs\['([\w.]+)'\]/g,
      );
      for (const m of jobReads) {
        if (!dependsOn(j).includes(m[1]!)) {
          problems.push(`${jobName(j)}.condition: reads job ${m[1]}, which it does not depend on`);
        }
        read(`${jobName(j)}.condition`, s, m[1]!, m[2]!);
      }
      const steps = stepsOf(j);
      steps.forEach((step, index) => {
        const where = `${jobName(j)}: "${step.displayName ?? step.name ?? index}"`;
        const texts = [
          step.condition ?? "",
          ...Object.values(step.env ?? {}),
          ...Object.entries(step.inputs ?? {})
            .filter(([input]) => input !== "inlineScript")
            .map(([, value]) => String(value)),
        ];
        for (const m of texts
          .join("\n")
          .matchAll(/\$\((\w+)\.(\w+)\)|variables\['(\w+)\.(\w+)'\]/g)) {
          const [stepName, variable] = (m[1] === undefined ? [m[3], m[4]] : [m[1], m[2]]) as [
            string,
            string,
          ];
          if (PREDEFINED_NAMESPACES.has(stepName)) continue;
          const at = steps.findIndex((p) => p.name === stepName);
          if (at < 0 || at >= index) {
            problems.push(`${where} reads ${stepName}.${variable}: no earlier step ${stepName}`);
          } else if (!setsOutput(steps[at]!, variable)) {
            problems.push(`${where} reads ${stepName}.${variable}, which ${stepName} does not set`);
          }
        }
      });
    }
  }
  return problems;
}

describe("a first release on Azure DevOps, as the GitHub workflow runs it", () => {
  it("train sets every GitHub train job output as an output variable of the same step", () => {
    const names = Object.keys(githubTrain.outputs ?? {});
    expect(names).toEqual(expect.arrayContaining(["first-release", "garch-version"]));
    for (const name of names) {
      const { step, output } = trainOutput(name);
      const azure = stepsOf(adoTrain()).find((s) => s.name === step);
      expect(azure, `train step ${step}`).toBeDefined();
      expect(setsOutput(azure!, azureName(output)), `${step}.${azureName(output)}`).toBe(true);
    }
  });

  it("every output variable read is one the step it names sets, from a stage or job depended on", () => {
    expect(outputReadProblems(pipeline)).toEqual([]);
    // The first release's: train's verdict and GARCH fit reach deploy.
    for (const name of ["first-release", "garch-version"]) {
      expect(Object.values(stage("deploy").variables ?? {})).toContain(fromTrain(name));
    }
  });

  it("the output check is live: a variable no step sets, a plain job's name for a deployment job's, no dependency", () => {
    type Mutable = { stages: { stage: string; dependsOn?: string[]; variables?: object }[] };
    const changed = (change: (doc: Mutable) => void): string[] => {
      const doc = structuredClone(pipeline) as unknown as Mutable;
      change(doc);
      return outputReadProblems(doc as unknown as AdoPipeline);
    };
    const variables = (doc: Mutable, name: string) =>
      doc.stages.find((s) => s.stage === name)!.variables as Record<string, string>;
    expect(
      changed((doc) => {
        variables(doc, "deploy").GARCH_VERSION =
          "$[ stageDependencies.build.train.outputs['garch.garch_version'] ]";
      }),
    ).toEqual([
      "deploy.variables.GARCH_VERSION: train's step garch sets no output variable garch_version (isOutput=true)",
    ]);
    expect(
      changed((doc) => {
        variables(doc, "abtest").DEPLOYED =
          "$[ stageDependencies.deploy.challenger.outputs['record.sha'] ]";
      }),
    ).toEqual([
      "abtest.variables.DEPLOYED: challenger's outputs are named challenger.<step>.<variable>, not record.sha",
    ]);
    const unrelated = changed((doc) => {
      doc.stages.find((s) => s.stage === "deploy")!.dependsOn = ["push"];
    });
    expect(unrelated).toContain(
      "deploy.variables.FIRST_RELEASE: reads stage build, which deploy does not depend on",
    );
    expect(unrelated).toContain(
      "deploy.condition: reads stage build, which deploy does not depend on",
    );
  });

  it("build fits the GARCH model as GitHub's train does: the same script, condition and inputs, before the artifacts are kept", () => {
    const github = githubTrain.steps.find((s) => s.run?.includes("fit-garch-model.sh"))!;
    const steps = stepsOf(adoTrain());
    const garch = steps.find((s) => s.name === github.id);
    expect(garch, `a train step named ${github.id}`).toBeDefined();
    expect(scriptsCalled(shellOf(garch!))).toEqual(scriptsCalled(github.run!));
    expect(garch!.condition).toMatch(/^and\(succeeded\(\), /);
    for (const term of conditionTerms(github.if!)) expect(garch!.condition).toContain(term);
    for (const [name, value] of Object.entries(github.env ?? {})) {
      expect(garch!.env?.[name], name).toBe(azureValue(value));
    }
    // The job's and the workflow's variables the script reads, the same values.
    expect(garch!.env?.GARCH_DATA).toBe(githubTrain.env?.GARCH_DATA);
    expect(pipeline.variables.GARCH_MODEL).toBe(workflow.env?.GARCH_MODEL);
    expect(unprovided(stage("build"), garch!)).toEqual([]);
    const index = steps.indexOf(garch!);
    expect(index).toBeGreaterThan(steps.findIndex((s) => s.name === "candidate"));
    expect(index).toBeLessThan(steps.findIndex((s) => s.inputs?.artifact === "models"));
  });

  it("deploy runs GitHub deploy's first-release steps: the same commands, conditions and inputs", () => {
    const githubSteps = githubDeploy.steps.filter((s) =>
      /needs\.train\.outputs\./.test(s.if ?? ""),
    );
    expect(githubSteps.map((s) => s.name)).toHaveLength(3);
    const deploy = stage("deploy");
    for (const github of githubSteps) {
      const command = PREDEFINED.reduce(
        (run, p) => run.replaceAll(`$${p.env}`, `$${envName(p.azure)}`),
        github.run!,
      );
      const step = stepsOf(adoDeploy()).find((s) => shellOf(s) === command);
      expect(step, `${github.name}: ${command}`).toBeDefined();
      // Only when GitHub's runs (its push check: deploy runs only after push succeeded).
      expect(step!.condition).toMatch(/^and\(succeeded\(\), /);
      for (const term of conditionTerms(github.if!)) expect(step!.condition).toContain(term);
      if (github.if!.includes("||")) expect(step!.condition).toContain("or(");
      // Each value GitHub passes it, from the same source.
      for (const [name, value] of Object.entries(github.env ?? {})) {
        expect(step!.env?.[name] ?? deploy.variables?.[name], `${github.name}: ${name}`).toBe(
          azureValue(value),
        );
      }
      expect(unprovided(deploy, step!), github.name).toEqual([]);
      // Signed in: Cosmos DB, the stack's backend and its vault take the az CLI login.
      expect(step!.task).toBe("AzureCLI@2");
    }
    // The job's own train outputs too (MODEL_REF).
    for (const [name, value] of Object.entries(githubDeploy.env ?? {})) {
      if (value.includes("needs.train.outputs.")) {
        expect(deploy.variables?.[name], name).toBe(azureValue(value));
      }
    }
  });

  it("deploy orders them as GitHub's deploy: config before the candidate, the GARCH alias before pulumi up, the champion after the smoke test", () => {
    const anchors = [
      /first-release-config\.sh/,
      /mlops release candidate/,
      /commit-stack-config\.sh/,
      /mlops promote --name "\$\{GARCH_MODEL%@\*\}"/,
      /mlops release experiment/,
      /\bpulumi up\b/,
      /mlops smoke/,
      /rollback\.sh/,
      /mlops promote --name "\$MODEL_NAME"/,
    ];
    const github = (pattern: RegExp) =>
      githubDeploy.steps.findIndex((s: Step) => pattern.test(s.run ?? ""));
    const inGithubOrder = [...anchors].sort((a, b) => github(a) - github(b));
    for (const pattern of anchors) expect(github(pattern), String(pattern)).toBeGreaterThan(-1);
    const azure = inGithubOrder.map((pattern) => firstStep(adoDeploy(), pattern));
    expect(azure.every((i) => i >= 0)).toBe(true);
    expect(azure).toEqual([...azure].sort((a, b) => a - b));
    // After the smoke test's step, which rolls back and fails on a failed smoke test.
    const champion = firstStep(adoDeploy(), /mlops promote --name "\$MODEL_NAME"/);
    expect(champion).toBeGreaterThan(firstStep(adoDeploy(), /rollback\.sh/));
  });
});

let dir: string;
let bin: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "azure-first-release-"));
  bin = join(dir, "bin");
  await mkdir(bin);
  // `pnpm`: answers the calls the train steps make (the candidate, the registry's models, a fit).
  await writeFile(
    join(bin, "pnpm"),
    [
      "#!/usr/bin/env bash",
      'case "$*" in',
      '  "mlops train "*) cat "$FAKE_CANDIDATE" ;;',
      '  "--silent mlops models list --json") cat "$FAKE_MODELS" ;;',
      '  "--silent mlops garch fit "*) echo \'{"model":{"version":7}}\' ;;',
      '  *) echo "fake pnpm: unexpected $*" >&2; exit 2 ;;',
      "esac",
      "",
    ].join("\n"),
  );
  await chmod(join(bin, "pnpm"), 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `key=value` lines of a $GITHUB_OUTPUT file. */
async function githubOutputs(file: string): Promise<Record<string, string>> {
  const lines = (await readFile(file, "utf8")).trim().split("\n");
  return Object.fromEntries(lines.map((l) => l.split(/=(.*)/s, 2) as [string, string]));
}

/**
 * GitHub train step `id` as the runner runs it: its `run:` under bash -eo pipefail in `cwd`, with
 * the workflow's, the job's and the step's env (`steps.*.outputs.*` from `known`, values from
 * repository variables left out); resolves with what it wrote to $GITHUB_OUTPUT.
 */
async function githubStep(
  id: string,
  known: Record<string, string>,
  cwd: string,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const step = githubTrain.steps.find((s) => s.id === id)!;
  // The run's own files beside the ones the test made (env.TMPDIR).
  const file = join(env.TMPDIR!, `${id}.out`);
  const stepEnv = Object.entries({ ...workflow.env, ...githubTrain.env, ...step.env })
    .map(([k, v]) => [
      k,
      String(v).replace(
        /\$\{\{ steps\.[\w-]+\.outputs\.([\w-]+) \}\}/g,
        (m, o: string) => known[o] ?? m,
      ),
    ])
    .filter(([, v]) => !v!.includes("${{"));
  const out = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd,
    env: {
      ...env,
      ...Object.fromEntries(stepEnv),
      GITHUB_OUTPUT: file,
      GITHUB_STEP_SUMMARY: join(env.TMPDIR!, "summary"),
    },
  });
  expect(out.code, out.stderr).toBe(0);
  return githubOutputs(file);
}

/**
 * Azure train step `name` as the agent runs it: its AzureCLI@2 inline script under bash in `cwd`,
 * with the pipeline's variables and the step's env (`$(<step>.<variable>)` from `known`, values
 * from variables the project sets left out); resolves with the output variables it logged.
 */
async function azureStep(
  name: string,
  known: Record<string, string>,
  cwd: string,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const step = stepsOf(adoTrain()).find((s) => s.name === name)!;
  const stepEnv = Object.entries(step.env ?? {})
    .map(([k, v]) => [
      k,
      v.replace(/\$\(([\w.]+)\)/g, (m, variable: string) => known[variable] ?? m),
    ])
    .filter(([, v]) => !v!.includes("$("));
  const script = String(step.inputs?.inlineScript);
  const out = await run("bash", ["--noprofile", "--norc", "-c", script], {
    cwd,
    env: { ...env, ...pipeline.variables, TF_BUILD: "True", ...Object.fromEntries(stepEnv) },
  });
  expect(out.code, out.stderr).toBe(0);
  return outputs(out.stdout);
}

describe("train's output variables, run as each pipeline runs its steps", () => {
  const cases = [
    { name: "a first release", champion: null, garchHeld: false },
    { name: "a later release", champion: { version: 3 }, garchHeld: true },
    { name: "a later release without the GARCH alias", champion: { version: 3 }, garchHeld: false },
  ];

  it.each(cases)("$name: the GitHub train job's outputs, by their Azure names", async (c) => {
    const work = await mkdtemp(join(dir, "work-"));
    // The gate's verdict (training/src/jobs/promotion.ts): promoted, against a champion or none.
    const candidate = join(work, "challenger.json");
    await writeFile(
      candidate,
      JSON.stringify({
        model: { version: 4 },
        promotion: { promoted: true, reason: "clears the threshold", champion: c.champion },
      }),
    );
    // The registry's GARCH model, holding the stack's alias or not.
    const [garchName, garchAlias] = workflow.env!.GARCH_MODEL!.split("@") as [string, string];
    const models = join(work, "models.json");
    await writeFile(
      models,
      JSON.stringify(c.garchHeld ? [{ name: garchName, aliases: { [garchAlias]: 1 } }] : []),
    );
    const env = {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      TMPDIR: work,
      FAKE_CANDIDATE: candidate,
      FAKE_MODELS: models,
    };

    // GitHub's candidate step reads the file `mlops train` wrote; Azure's runs `mlops train`.
    const github = join(work, "github");
    await mkdir(join(github, "candidates"), { recursive: true });
    await writeFile(join(github, "candidates", "challenger.json"), await readFile(candidate));
    const githubCandidate = await githubStep("candidate", {}, github, env);
    const githubGarch = await githubStep("garch", githubCandidate, ROOT, env);
    const azure = join(work, "azure");
    await mkdir(azure);
    const azureCandidate = await azureStep("candidate", {}, azure, env);
    const known = Object.fromEntries(
      Object.entries(azureCandidate).map(([k, v]) => [`candidate.${k}`, v]),
    );
    const azureGarch = await azureStep("garch", known, ROOT, env);

    const byAzureName = (values: Record<string, string>) =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [azureName(k), v]));
    expect(azureCandidate).toEqual(byAzureName(githubCandidate));
    expect(azureGarch).toEqual(byAzureName(githubGarch));
    expect(azureCandidate.firstRelease).toBe(String(c.champion === null));
    const fits = c.champion === null || !c.garchHeld;
    expect(azureGarch).toEqual({ garchVersion: fits ? "7" : "" });
  });
});
