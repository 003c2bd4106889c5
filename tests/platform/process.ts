/**
 * Running `pnpm start`'s entry point as a real process on a loopback port: spawn, wait for the
 * ready banner, talk HTTP, stop with a signal and collect the exit.
 */
import { type ChildProcess, type ChildProcessByStdio, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort } from "@mlops/contracts/test-support";
import type { ZodType, z } from "zod";

// tsx as a loader in the server's own process (its CLI would add a parent that a SIGKILL
// leaves the server orphaned behind).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/** The `pnpm start` entry point as `pnpm start` runs it: compiled (the tests' global set-up builds). */
export const START = fileURLToPath(new URL("../../start/dist/start.js", import.meta.url));

/** A started process and what it printed. */
export interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  stdout: string;
  stderr: string;
  /** Sends `signal` (to the whole process group with `processGroup`) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /**
   * Start the process in a group of its own and send `stop`'s signal to the whole group, as a
   * terminal or systemd's default `KillMode=control-group` does.
   */
  readonly processGroup?: boolean;
  /** Leave HOST unset, so the script's own default applies (else it listens on 127.0.0.1). */
  readonly defaultHost?: boolean;
}

/**
 * Spawns `script` (compiled JavaScript with plain node, TypeScript through tsx) in `cwd` with
 * `env` and resolves once it prints its URL.
 */
export async function start(
  script: string,
  cwd: string,
  env: Record<string, string>,
  { processGroup = false, defaultHost = false }: StartOptions = {},
): Promise<Started> {
  const port = Number(env.PORT ?? (await freePort()));
  const args = script.endsWith(".ts") ? ["--import", tsxLoader, script] : [script];
  const host = defaultHost ? {} : { HOST: "127.0.0.1" };
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...host, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: processGroup,
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const started: Started = {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout: "",
    stderr: "",
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) {
        if (processGroup) process.kill(-child.pid!, signal);
        else child.kill(signal);
      }
      return exited;
    },
  };
  child.stdout!.on("data", (d) => (started.stdout += d));
  child.stderr!.on("data", (d) => (started.stderr += d));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (started.stdout.includes(started.url)) resolve();
    };
    child.stdout!.on("data", check);
    exited.then((code) =>
      reject(new Error(`exited with ${code} before ready:\n${started.stderr}`)),
    );
  });
  return started;
}

/**
 * Spawns `script` in `cwd` with `env`, sends `signal` once its stderr matches `when`, and
 * resolves with how it exited and what it printed.
 */
export function interruptWhen(
  script: string,
  cwd: string,
  env: Record<string, string>,
  when: RegExp,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

/**
 * The two arms as the two Deployments run them: `script` once per variant in `single` mode with
 * `env`, each pushed to `running` as soon as it is up (so a failing start still stops the other).
 */
export async function startArms(
  script: string,
  cwd: string,
  env: Record<string, string>,
  running: Started[],
): Promise<{ champion: Started; challenger: Started }> {
  const arm = async (variant: string) => {
    const started = await start(script, cwd, {
      MLOPS_MODE: "single",
      MLOPS_VARIANT: variant,
      ...env,
    });
    running.push(started);
    return started;
  };
  const champion = await arm("champion");
  return { champion, challenger: await arm("challenger") };
}

/** JSON over HTTP; the answer is checked with `schema` (the API's contract). */
export async function call<S extends ZodType>(
  url: string,
  path: string,
  schema: S,
  body?: unknown,
): Promise<{ status: number; body: z.output<S> }> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: schema.parse(await res.json()) };
}

/** Runs `script` to its exit (for start-up failures). */
export function runToExit(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, script], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

/** The repository root: where `pnpm start` runs, its scripts' tools in `node_modules/.bin`. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs the root package's `start` script to its exit as pnpm runs it (for start-up failures):
 * its command line in a shell, in the root, with `node_modules/.bin` first on the PATH.
 */
export async function pnpmStart(env: Record<string, string>): Promise<CommandResult> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  const path = [join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter);
  return outcome(
    spawn("sh", ["-c", pkg.scripts.start], {
      cwd: ROOT,
      env: { PATH: path, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** What `child` prints, once it has exited. */
function outcome(child: ChildProcessByStdio<null, Readable, Readable>): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The `mlops` CLI's entry point. */
const MLOPS = fileURLToPath(new URL("../../training/src/cli/bin.ts", import.meta.url));

/** What a command printed and how it exited. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mlops argv` as its own process in `cwd` (where it finds the default store). */
export function mlops(argv: readonly string[], cwd?: string): Promise<CommandResult> {
  return outcome(
    spawn(process.execPath, ["--import", tsxLoader, MLOPS, ...argv], {
      cwd,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/**
 * The local addresses listening on TCP `port`, from the kernel's socket tables (/proc/net/tcp
 * and tcp6: state 0A is LISTEN), so a test learns where a server listens without connecting.
 */
export async function listeningAddresses(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== "0A" || local === undefined) continue;
      const [hex, portHex] = local.split(":") as [string, string];
      if (Number.parseInt(portHex, 16) !== port) continue;
      out.push(hex.length === 8 ? ipv4(hex) : `[${hex}]`);
    }
  }
  return out;
}

/** /proc/net/tcp's address: four bytes in hexadecimal, little-endian on x86. */
function ipv4(hex: string): string {
  const bytes = (hex.match(/../g) ?? []).map((b) => Number.parseInt(b, 16));
  return bytes.reverse().join(".");
}
