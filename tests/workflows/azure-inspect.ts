/**
 * Reading azure-pipelines.yml as the checks need it: its stages, jobs and steps typed, a step's
 * shell text and the repository scripts it calls, and the output variables a step's log sets.
 * Shared by azure-pipelines.test.ts and azure-first-release.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT, SCRIPTS_DIR } from "./support.js";

export interface AdoStep {
  readonly task?: string;
  readonly displayName?: string;
  readonly script?: string;
  readonly checkout?: string;
  readonly persistCredentials?: boolean;
  readonly download?: string;
  readonly name?: string;
  readonly condition?: string;
  readonly inputs?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
export interface AdoJob {
  readonly job?: string;
  readonly deployment?: string;
  readonly dependsOn?: string | string[];
  readonly condition?: string;
  readonly pool?: { name?: string; vmImage?: string };
  readonly environment?: string;
  readonly steps?: AdoStep[];
  readonly strategy?: { runOnce: { deploy: { steps: AdoStep[] } } };
}
export interface AdoStage {
  readonly stage: string;
  readonly dependsOn?: string | string[];
  readonly condition?: string;
  readonly lockBehavior?: string;
  readonly variables?: Record<string, string>;
  readonly jobs: AdoJob[];
}
export interface AdoPipeline {
  readonly trigger: { paths: { exclude: string[] } };
  readonly variables: Record<string, string>;
  readonly stages: AdoStage[];
}

/** azure-pipelines.yml's text (comments matter) and its parsed form. */
export const text = readFileSync(join(ROOT, "azure-pipelines.yml"), "utf8");
export const pipeline = parse(text) as AdoPipeline;

export const stepsOf = (job: AdoJob): AdoStep[] =>
  job.steps ?? job.strategy?.runOnce.deploy.steps ?? [];
/** A step's shell text (a script, or an AzureCLI@2 inline script), line continuations joined. */
export const shellOf = (step: AdoStep): string =>
  (step.script ?? String(step.inputs?.inlineScript ?? "")).replace(/\s*\\\n\s*/g, " ");
export const scriptsOf = (job: AdoJob): string[] => stepsOf(job).map(shellOf);
/** A job's name: `job:` or `deployment:`. */
export const jobName = (job: AdoJob): string => job.job ?? job.deployment ?? "?";
export const allJobs = (doc: AdoPipeline = pipeline): { stage: AdoStage; job: AdoJob }[] =>
  doc.stages.flatMap((stage) => stage.jobs.map((job) => ({ stage, job })));
export const stage = (name: string, doc: AdoPipeline = pipeline): AdoStage => {
  const found = doc.stages.find((s) => s.stage === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
export const dependsOn = (s: AdoStage | AdoJob): string[] =>
  ([] as string[]).concat(s.dependsOn ?? []);
/** Index of the first step of `job` whose shell text matches `pattern` (-1: none). */
export const firstStep = (job: AdoJob, pattern: RegExp): number =>
  stepsOf(job).findIndex((s) => pattern.test(shellOf(s)));

/** The repository scripts (`.github/scripts/<name>`) a shell text calls, by file name. */
export const scriptsCalled = (shell: string): string[] => [
  ...new Set([...shell.matchAll(/\.github\/scripts\/([a-z-]+\.sh)/g)].map((m) => m[1]!)),
];
/** The text of repository script `name`. */
export const scriptText = (name: string): string => readFileSync(join(SCRIPTS_DIR, name), "utf8");

/** The output variables a step set with `##vso[task.setvariable …;isOutput=true]` in its log. */
export const outputs = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    [...stdout.matchAll(/^##vso\[task\.setvariable variable=(\w+);isOutput=true\](.*)$/gm)].map(
      (m) => [m[1]!, m[2]!],
    ),
  );

/** Whether `step` (its shell, or a script it calls) sets output variable `variable`. */
export function setsOutput(step: AdoStep, variable: string): boolean {
  const command = `##vso[task.setvariable variable=${variable};isOutput=true]`;
  const shell = shellOf(step);
  return [shell, ...scriptsCalled(shell).map(scriptText)].some((t) => t.includes(command));
}
