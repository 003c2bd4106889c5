/** What the serving benchmarks share: the demo models registered, a process tree's RSS, readiness. */
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { parseServingConfig } from "@mlops/contracts";
import { openStore } from "@mlops/store";
import { runDemoJob } from "@mlops/training";

/**
 * Registers `pnpm start`'s models (a forest of 100 trees, boosted trees of 100 rounds) in the
 * store and artifact folder `env` names.
 */
export async function registerDemoModels(env: Record<string, string>): Promise<void> {
  const config = parseServingConfig(env);
  const store = await openStore(config.store);
  process.stderr.write("registering the demo models (100 trees, 100 rounds)…\n");
  try {
    await runDemoJob({
      store,
      artifactRoot: config.artifactDir,
      experimentId: config.experimentId,
      challengerWeight: config.challengerWeight,
      threads: 2,
    });
  } finally {
    await store.close();
  }
}

/** RSS of `pid` and all its descendants (a cluster's workers, their threads' processes), in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const read = (file: string) => readFile(file, "utf8").catch(() => "");
  const status = await read(`/proc/${pid}/status`);
  let kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  for (const child of (await read(`/proc/${pid}/task/${pid}/children`)).split(/\s+/)) {
    if (child !== "") kib += (await rssMiB(Number(child))) * 1024;
  }
  return kib / 1024;
}

/**
 * CPU time (user + system) of `pid` and its descendants, in ms: the work a start took, whatever
 * else the machine was doing meanwhile (clock ticks of 10 ms).
 */
export async function cpuMs(pid: number): Promise<number> {
  const read = (file: string) => readFile(file, "utf8").catch(() => "");
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = (await read(`/proc/${pid}/stat`)).replace(/^.*\) /, "").split(" ");
  let ms = (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
  for (const child of (await read(`/proc/${pid}/task/${pid}/children`)).split(/\s+/)) {
    if (child !== "") ms += await cpuMs(Number(child));
  }
  return ms;
}

/** Polls `url` every 5 ms until it answers 200; throws if `child` exits first. */
export async function waitFor200(child: ChildProcess, url: string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${url}: the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
