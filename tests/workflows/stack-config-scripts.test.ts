/**
 * The scripts that move the prod stack's config, run as the GitHub workflows run them against a
 * real git branch on a local remote (azure-pipelines.test.ts runs them with an Azure Pipelines
 * agent's environment):
 *
 * - commit-stack-config.sh records a release on the branch, and refuses when the branch moved
 *   since the job checked out (the fast-forward check that keeps stack-config commits from
 *   interleaving);
 * - rollback.sh, driven through a failed release: a smoke fixture that fails while the broken
 *   config is deployed and passes through to a real prediction API otherwise. The Pulumi CLI
 *   cannot run here (no cloud, no CLI), so `pulumi` on PATH is a recorder that "deploys" the
 *   stack file it is run with; everything else (git, the smoke test, the API) is real.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { START, type Started, start } from "../platform/process.js";
import {
  editStack,
  forward,
  jobGit,
  mlops,
  ROOT,
  recordAnotherRelease,
  run,
  STACK_FILE,
  stackBranch,
} from "./support.js";

const COMMIT = join(ROOT, ".github/scripts/commit-stack-config.sh");
const ROLLBACK = join(ROOT, ".github/scripts/rollback.sh");

/** The challenger tag of the release that breaks the API (the fixture keys on it). */
const BROKEN_TAG = "2.0.0-broken";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stack-config-scripts-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** git as the jobs use it: no user config, an identity for commits. */
const git = (cwd: string, ...args: string[]) => jobGit(dir)(cwd, ...args);

/** A branch `main` on a fresh local remote holding the prod stack file, and its clone. */
const branch = (name: string) => stackBranch(dir, name);

/** What a GitHub Actions job's environment gives the scripts. */
const jobEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  HOME: dir,
  GITHUB_REF_NAME: "main",
  GITHUB_TOKEN: "token",
  ...extra,
});

/** `key=value` lines a script wrote to $GITHUB_OUTPUT. */
async function outputs(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, "utf8").catch(() => "");
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("=") as [string, string]),
  );
}

describe("commit-stack-config.sh", () => {
  it("records a changed stack file, skips an unchanged one, and reports both commits", async () => {
    const { remote, work, base } = await branch("commit");
    const out = join(dir, "commit-output");

    // Unchanged: nothing to record; the config to deploy is the checkout's.
    const same = await run("bash", [COMMIT, "release: nothing"], {
      cwd: work,
      env: jobEnv({ GITHUB_OUTPUT: out }),
    });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/unchanged: nothing to record/);
    expect(await outputs(out)).toEqual({ base, sha: base });
    // Azure Pipelines' output variables only under Azure Pipelines (TF_BUILD).
    expect(same.stdout).not.toContain("##vso[");

    // Changed (as `release plan --apply` would): committed on top and pushed.
    await rm(out);
    await editStack(work, "canaryWeight: 10", "canaryWeight: 0");
    const changed = await run("bash", [COMMIT, "release: promote"], {
      cwd: work,
      env: jobEnv({ GITHUB_OUTPUT: out }),
    });
    expect(changed.code, changed.stderr).toBe(0);
    const log = await git(remote, "log", "--format=%H %P %s", "main");
    const [sha, parent, ...subject] = log.stdout.split("\n")[0]!.split(" ");
    // [skip ci]: pushed with an app's token, a release commit would otherwise start the pipeline.
    expect(subject.join(" ")).toBe("release: promote [skip ci]");
    expect(parent).toBe(base);
    expect(await outputs(out)).toEqual({ base, sha });

    // Without a message or a branch it refuses.
    expect((await run("bash", [COMMIT], { cwd: work, env: jobEnv() })).stderr).toMatch(/usage:/);
    const noBranch = await run("bash", [COMMIT, "m"], { cwd: work, env: { HOME: dir } });
    expect(noBranch.code).toBe(2);
    expect(noBranch.stderr).toMatch(/GITHUB_REF_NAME or BUILD_SOURCEBRANCH .* names the branch/);
  });

  it("refuses to record or deploy when the branch moved after the checkout, changed or not", async () => {
    const { remote, work, base } = await branch("moved");
    const tip = await recordAnotherRelease(dir, remote);

    const out = join(dir, "moved-output");
    const unchanged = await run("bash", [COMMIT, "deploy as configured"], {
      cwd: work,
      env: jobEnv({ GITHUB_OUTPUT: out }),
    });
    expect(unchanged.code).toBe(1);
    expect(unchanged.stderr).toContain(`main moved from ${base} to ${tip}`);

    await editStack(work, "canaryWeight: 10", "canaryWeight: 0");
    const changed = await run("bash", [COMMIT, "release: promote"], {
      cwd: work,
      env: jobEnv({ GITHUB_OUTPUT: out }),
    });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/nothing recorded, nothing deployed/);
    // The other run's commit stays the tip; nothing of this job reached the branch.
    expect((await git(remote, "rev-parse", "main")).stdout.trim()).toBe(tip);
    expect(await outputs(out)).toEqual({});
  });
});

describe("rollback.sh after a failed smoke test", () => {
  let api: Started;
  let fixture: Server;
  let fixtureUrl: string;
  /** The stack file the fake `pulumi up` last "deployed". */
  let deployed: string;
  let bin: string;
  let pulumiLog: string;

  beforeAll(async () => {
    // The API as a working release serves it (one process with both arms, on SQLite).
    api = await start(START, dir, { MLOPS_CHALLENGER_WEIGHT: "0" });
    deployed = join(dir, "deployed.yaml");
    pulumiLog = join(dir, "pulumi.log");
    // `pulumi`: records each call with the hash of the stack file it ran with; `up` deploys it.
    bin = join(dir, "bin");
    await mkdir(bin);
    await writeFile(
      join(bin, "pulumi"),
      [
        "#!/usr/bin/env bash",
        `echo "$* $(sha256sum ${STACK_FILE} | cut -d' ' -f1)" >> "$FAKE_PULUMI_LOG"`,
        `if [ "$1" = up ]; then cp ${STACK_FILE} "$FAKE_DEPLOYED"; fi`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a JS template
        'exit "${FAKE_PULUMI_EXIT:-0}"',
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "pulumi"), 0o755);
    // The failing smoke fixture: while the broken release is deployed every request gets a 503;
    // otherwise it passes requests through to the API.
    fixture = createServer((req: IncomingMessage, res: ServerResponse) => {
      readFile(deployed, "utf8")
        .catch(() => "")
        .then((config) => {
          if (config.includes(BROKEN_TAG)) {
            res.writeHead(503, { "content-type": "text/plain" }).end("release broken");
            return;
          }
          forward(req, res, new URL(req.url ?? "/", api.url));
        });
    });
    await new Promise<void>((resolve) => fixture.listen(0, "127.0.0.1", resolve));
    fixtureUrl = `http://127.0.0.1:${(fixture.address() as AddressInfo).port}`;
  }, 180_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      fixture.close(() => resolve());
      fixture.closeAllConnections();
    });
    await api.stop("SIGKILL");
  });

  /** A job's environment with the recording `pulumi` first on PATH. */
  const rollbackEnv = (name: string, extra: Record<string, string> = {}) =>
    jobEnv({
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      FAKE_DEPLOYED: deployed,
      FAKE_PULUMI_LOG: pulumiLog,
      GITHUB_STEP_SUMMARY: join(dir, `${name}-summary.md`),
      ...extra,
    });

  /**
   * The deploy job up to its failed smoke test: the release changes the challenger to the broken
   * build and is recorded on the branch, `pulumi up` deploys it, and the smoke test fails.
   */
  async function failedRelease(name: string) {
    const { remote, work, base } = await branch(name);
    const before = await readFile(join(work, STACK_FILE), "utf8");
    await editStack(work, "challengerImageTag: 1.5.0-rc.1", `challengerImageTag: ${BROKEN_TAG}`);
    await editStack(work, "challengerModel: classifier@13", "challengerModel: classifier@14");
    await editStack(work, "experimentId: classifier-12-vs-13", "experimentId: classifier-12-vs-14");
    const env = rollbackEnv(name);
    const recorded = await run("bash", [COMMIT, "release: challenger classifier@14"], {
      cwd: work,
      env,
    });
    expect(recorded.code, recorded.stderr).toBe(0);
    const up = await run("pulumi", ["up", "--stack", "prod", "--yes"], { cwd: work, env });
    expect(up.code).toBe(0);
    expect(await readFile(deployed, "utf8")).toContain(BROKEN_TAG);
    const smoke = await mlops(["smoke", "--url", fixtureUrl, "--no-routing", "--timeout", "5"]);
    expect(smoke.code).toBe(1);
    expect(smoke.stdout).toMatch(/FAIL +503/);
    return { remote, work, base, before, env };
  }

  const rollback = (work: string, base: string, env: Record<string, string>) =>
    run(
      "bash",
      [ROLLBACK, "--to", base, "--url", fixtureUrl, "--", "--no-routing", "--timeout", "5"],
      { cwd: work, env, timeoutMs: 120_000 },
    );

  it("restores the previous stack config, records and applies it, passes a second smoke test, and fails the run with a summary", async () => {
    const { remote, work, base, before, env } = await failedRelease("rollback");
    await rm(pulumiLog, { force: true });

    const out = await rollback(work, base, env);
    expect(out.code, out.stderr).toBe(1);

    // The previous config is restored: in the checkout, on the branch, and in what is deployed.
    expect(await readFile(join(work, STACK_FILE), "utf8")).toBe(before);
    expect((await git(remote, "show", `main:${STACK_FILE}`)).stdout).toBe(before);
    const subject = (await git(remote, "log", "-1", "--format=%s", "main")).stdout;
    expect(subject).toMatch(/^rollback: restore Pulumi\.prod\.yaml of [0-9a-f]{7}/);
    expect(await readFile(deployed, "utf8")).toBe(before);
    // Applied with the restored file, and only once.
    expect((await readFile(pulumiLog, "utf8")).trim().split("\n")).toEqual([
      `up --stack prod --yes --diff --non-interactive ${sha256(before)}`,
    ]);

    // The summary says what was rolled back and that the API answers again.
    const summary = await readFile(env.GITHUB_STEP_SUMMARY!, "utf8");
    expect(summary).toMatch(/### Rollback of stack prod/);
    expect(summary).toContain(
      `Recorded on the branch as ${(await git(remote, "rev-parse", "--short", "main")).stdout.trim()}.`,
    );
    expect(summary).toContain(`-    challengerImageTag: ${BROKEN_TAG}`);
    expect(summary).toContain("+    challengerImageTag: 1.5.0-rc.1");
    expect(summary).toContain("-    challengerModel: classifier@14");
    expect(summary).toContain("+    challengerModel: classifier@13");
    expect(summary).toMatch(/Second smoke test after the rollback: \*\*passed\*\*/);
    expect(summary).toMatch(/smoke passed: 5\/5 checks ok/);
  });

  it("says so when the previous config does not recover the API either", async () => {
    const { work, base, env } = await failedRelease("still-broken");
    // Whatever is deployed, the fixture keeps failing: the previous config is broken too.
    const stillBroken = { ...env, FAKE_DEPLOYED: join(dir, "never-recovers.yaml") };
    await writeFile(stillBroken.FAKE_DEPLOYED, BROKEN_TAG);
    const out = await rollback(work, base, stillBroken);
    expect(out.code).toBe(1);
    const summary = await readFile(env.GITHUB_STEP_SUMMARY!, "utf8");
    expect(summary).toMatch(/Second smoke test after the rollback: \*\*failed\*\* too/);
  });

  it("stops with the reason when applying the restored config fails", async () => {
    const { work, base, env } = await failedRelease("apply-fails");
    const out = await rollback(work, base, { ...env, FAKE_PULUMI_EXIT: "1" });
    expect(out.code).toBe(1);
    const summary = await readFile(env.GITHUB_STEP_SUMMARY!, "utf8");
    expect(summary).toMatch(/\*\*pulumi up of the restored config failed\*\*/);
    expect(summary).not.toMatch(/Second smoke test/);
  });

  it("rolls nothing back when the release did not change the stack config", async () => {
    const { work, base } = await branch("no-change");
    const env = rollbackEnv("no-change");
    await rm(pulumiLog, { force: true });
    const out = await rollback(work, base, env);
    expect(out.code).toBe(1);
    expect(await readFile(env.GITHUB_STEP_SUMMARY!, "utf8")).toMatch(
      /the same in both commits: the failure is not a config change, nothing to roll back/,
    );
    expect(await readFile(pulumiLog, "utf8").catch(() => "")).toBe("");
  });
});
