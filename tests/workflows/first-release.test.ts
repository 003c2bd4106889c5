/**
 * A first release on a new estate, as the pipeline runs it: the committed stack file names
 * images and models that do not exist, and the registry is empty. Each step is the workflow's own
 * (its `run:` text under GitHub's `bash -eo pipefail`, or the script it calls) against a SQLite
 * store: train gates a candidate with no champion to beat, fit-garch-model.sh fits the GARCH
 * model, first-release-config.sh and `mlops release candidate --apply` make the pushed build serve
 * both arms and the GARCH service, `mlops release experiment` defines the experiment, and the
 * deploy job's promote steps move the aliases. `pulumi` on PATH is a fake that writes `config
 * set` into the stack file as the CLI does (with `--path`, into the project's object).
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CiFiles } from "./inspect.js";
import { mlops, ROOT, run, type Step } from "./support.js";

const FIT_GARCH = join(ROOT, ".github/scripts/fit-garch-model.sh");
const FIRST_RELEASE_CONFIG = join(ROOT, ".github/scripts/first-release-config.sh");
/** The git sha the run pushed its image under. */
const SHA = "0123456789abcdef0123456789abcdef01234567";
/** Longest a test here may take: several `mlops` processes, a forest and a GARCH fit. */
const SLOW = 300_000;

let files: CiFiles;
let dir: string;
let work: string;
let stackFile: string;
/** The environment every command gets: the store, the artifacts, the fake pulumi first on PATH. */
let env: Record<string, string>;

beforeAll(async () => {
  files = await CiFiles.load();
  dir = await mkdtemp(join(tmpdir(), "first-release-"));
  work = join(dir, "work");
  await mkdir(join(work, "candidates"), { recursive: true });
  for (const name of ["Pulumi.yaml", "Pulumi.prod.yaml"]) {
    await copyFile(join(ROOT, name), join(work, name));
  }
  stackFile = join(work, "Pulumi.prod.yaml");
  const bin = join(dir, "bin");
  await mkdir(bin);
  const yaml = createRequire(import.meta.url).resolve("yaml");
  await writeFile(
    join(bin, "pulumi"),
    `#!/usr/bin/env node
// pulumi config set --stack S --config-file F --path --type T <key.path> -- <value>
const { readFileSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const YAML = require(${JSON.stringify(yaml)});
const args = process.argv.slice(2);
const end = args.indexOf("--");
if (args[0] !== "config" || args[1] !== "set" || !args.includes("--path") || end < 0) {
  console.error("fake pulumi: unexpected " + args.join(" "));
  process.exit(2);
}
const flag = (name) => args[args.indexOf(name) + 1];
const file = flag("--config-file");
const type = flag("--type");
const raw = args[end + 1];
const value = type === "int" ? Number(raw) : type === "bool" ? raw === "true" : raw;
const project = YAML.parse(readFileSync(join(dirname(file), "Pulumi.yaml"), "utf8")).name;
const [top, ...path] = args[end - 1].split(".");
const doc = YAML.parseDocument(readFileSync(file, "utf8"));
doc.setIn(["config", project + ":" + top, ...path], value);
writeFileSync(file, doc.toString());
`,
  );
  await chmod(join(bin, "pulumi"), 0o755);
  env = {
    HOME: dir,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`,
    MLOPS_ARTIFACT_DIR: join(dir, "artifacts"),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `key=value` lines written to a $GITHUB_OUTPUT file. */
async function outputs(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, "utf8");
  return Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => l.split(/=(.*)/s, 2) as [string, string]),
  );
}

/** A pipeline step's `run:` as GitHub runs it, in `cwd`, with `extra` for its `env:`. */
function runStep(step: Step, extra: Record<string, string>, cwd = ROOT) {
  return run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd,
    env: { ...env, ...extra },
    timeoutMs: SLOW,
  });
}

/** The deploy step whose `run:` matches. */
const deployStep = (match: RegExp) =>
  files.pipeline.jobs.deploy!.steps.find((s) => match.test(s.run ?? ""))!;

/** The serving and GARCH blocks of the stack file as it is now. */
async function stack() {
  const config = parse(await readFile(stackFile, "utf8")).config;
  return { serving: config["mlops-platform:serving"], garch: config["mlops-platform:garch"] };
}

/** `mlops models list --json` as name → aliases. */
async function aliases(): Promise<Record<string, Record<string, number>>> {
  const out = await mlops(["models", "list", "--json"], env);
  expect(out.code, out.stderr).toBe(0);
  const models = JSON.parse(out.stdout) as { name: string; aliases: Record<string, number> }[];
  return Object.fromEntries(models.map((m) => [m.name, m.aliases]));
}

describe("a first release on a new estate", () => {
  it("before it, `release experiment` names the key to set and says the registry is empty", async () => {
    const out = await mlops(["release", "experiment", "--stack-config", stackFile], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /serving\.championModel classifier@12: .*no model version matches classifier@12; the registry holds no models yet\. Set serving\.championModel in the stack config/,
    );
  });

  it(
    "train gates the candidate against no champion, and says it is the first release",
    async () => {
      const train = files.pipeline.jobs.train!;
      const trained = await mlops(
        [
          "train",
          ...["--data", join(ROOT, train.env!.DATA!), "--label", train.env!.LABEL!],
          ...["--name", files.pipeline.env!.MODEL_NAME!, "--trees", "5", "--seed", "2"],
          ...["--auto-promote", "--promotion-threshold", "0.5", "--json"],
        ],
        env,
        SLOW,
      );
      expect(trained.code, trained.stderr).toBe(0);
      await writeFile(join(work, "candidates", "challenger.json"), trained.stdout);
      const output = join(dir, "candidate-output");
      const step = train.steps.find((s) => s.id === "candidate")!;
      const gated = await runStep(
        step,
        {
          MODEL_NAME: "classifier",
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: join(dir, "summary"),
        },
        work,
      );
      expect(gated.code, gated.stderr).toBe(0);
      expect(await outputs(output)).toEqual({
        "model-version": "1",
        "model-ref": "classifier@1",
        promoted: "true",
        "first-release": "true",
      });
    },
    SLOW,
  );

  it(
    "fit-garch-model.sh fits the stack's GARCH model for the new image, leaving its alias alone",
    async () => {
      const output = join(dir, "garch-output");
      const out = await run("bash", [FIT_GARCH], {
        env: {
          ...env,
          GARCH_MODEL: files.pipeline.env!.GARCH_MODEL!,
          GARCH_DATA: files.pipeline.jobs.train!.env!.GARCH_DATA!,
          FIRST_RELEASE: "true",
          GITHUB_OUTPUT: output,
        },
        timeoutMs: SLOW,
      });
      expect(out.code, out.stderr).toBe(0);
      expect(await outputs(output)).toEqual({ "garch-version": "1" });
      expect((await aliases()).dem2gbp).toEqual({});
    },
    SLOW,
  );

  it(
    "deploy's stack config: the pushed build serves both arms and the GARCH service, and the serving plane goes on",
    async () => {
      const before = await stack();
      const configured = await run("bash", [FIRST_RELEASE_CONFIG], {
        env: {
          ...env,
          STACK_CONFIG: stackFile,
          IMAGE_TAG: SHA,
          MODEL_REF: "classifier@1",
          FIRST_RELEASE: "true",
          GARCH_VERSION: "1",
        },
      });
      expect(configured.code, configured.stderr).toBe(0);
      const candidate = await mlops(
        [
          ...["release", "candidate", "--stack-config", stackFile],
          ...["--image-tag", SHA, "--model", "classifier@1", "--apply"],
        ],
        env,
      );
      expect(candidate.code, candidate.stderr).toBe(0);
      const after = await stack();
      expect(after.serving).toEqual({
        ...before.serving,
        enabled: true,
        championImageTag: SHA,
        challengerImageTag: SHA,
        championModel: "classifier@1",
        challengerModel: "classifier@1",
        experimentId: "classifier-1-vs-1",
      });
      expect(after.garch).toEqual({ ...before.garch, imageTag: SHA });
    },
    SLOW,
  );

  it(
    "deploy points the GARCH alias, defines the experiment, and makes the model the champion",
    async () => {
      const garch = await runStep(deployStep(/mlops promote --name "\$\{GARCH_MODEL%@\*\}"/), {
        GARCH_MODEL: files.pipeline.env!.GARCH_MODEL!,
        GARCH_VERSION: "1",
      });
      expect(garch.code, garch.stderr).toBe(0);
      const defined = await mlops(["release", "experiment", "--stack-config", stackFile], env);
      expect(defined.code, defined.stderr).toBe(0);
      expect(defined.stdout).toMatch(
        /^experiment classifier-1-vs-1 defined: champion classifier@1 90%, challenger classifier@1 10%/,
      );
      const champion = await runStep(deployStep(/mlops promote --name "\$MODEL_NAME"/), {
        MODEL_NAME: "classifier",
        MODEL_VERSION: "1",
        MODEL_REF: "classifier@1",
        GITHUB_SHA: SHA,
      });
      expect(champion.code, champion.stderr).toBe(0);
      expect(await aliases()).toEqual({
        classifier: { challenger: 1, champion: 1 },
        dem2gbp: { champion: 1 },
      });
    },
    SLOW,
  );

  it(
    "the next run is no first release, and fits no GARCH model the champion's image carries",
    async () => {
      const output = join(dir, "garch-output-next");
      const out = await run("bash", [FIT_GARCH], {
        env: {
          ...env,
          GARCH_MODEL: files.pipeline.env!.GARCH_MODEL!,
          GARCH_DATA: "garch/data/dem2gbp.csv",
          FIRST_RELEASE: "false",
          GITHUB_OUTPUT: output,
        },
        timeoutMs: SLOW,
      });
      expect(out.code, out.stderr).toBe(0);
      expect(await outputs(output)).toEqual({ "garch-version": "" });
      expect(out.stdout).toMatch(/dem2gbp@champion is registered/);
    },
    SLOW,
  );
});
