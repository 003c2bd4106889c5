/**
 * A failing `pulumi` fails the step that runs it, as the workflows run them: the deploy and
 * promote jobs' "Read the stack outputs" step (its `run:` text under GitHub's `bash -eo pipefail`)
 * and with-smoke-credentials.sh, which tells a stack without `edgeAuth` (no credential to read)
 * from a `pulumi config get` that could not read the stack at all. `pulumi` and `az` on PATH are
 * fakes that answer as the real CLIs do (the missing-key message is pulumi/pulumi's
 * pkg/cmd/pulumi/config/config_get.go).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CiFiles } from "./inspect.js";
import { ROOT, run } from "./support.js";

const WITH_CREDENTIALS = join(ROOT, ".github/scripts/with-smoke-credentials.sh");

let dir: string;
let bin: string;
let files: CiFiles;
beforeAll(async () => {
  files = await CiFiles.load();
  dir = await mkdtemp(join(tmpdir(), "pulumi-failures-"));
  bin = join(dir, "bin");
  await mkdir(bin);
  const fake = (name: string, lines: string[]) =>
    writeFile(join(bin, name), ["#!/usr/bin/env bash", ...lines, ""].join("\n")).then(() =>
      chmod(join(bin, name), 0o755),
    );
  // FAKE_PULUMI: ok (answers), missing-key (no edgeAuth in the stack), config-down (the stack's
  // config cannot be read: its secrets provider or backend refuses) or down (every command fails).
  await fake("pulumi", [
    'if [ "$FAKE_PULUMI" = down ]; then',
    '  echo "error: failed to load checkpoint: AuthorizationPermissionMismatch" >&2; exit 255',
    "fi",
    'case "$1 $2 $3" in',
    '  "stack output keyVaultUri") echo "https://kv-smoke.vault.azure.net/" ;;',
    '  "stack output ingressHost") echo "predict.example.com" ;;',
    '  "config get edgeAuth")',
    '    if [ "$FAKE_PULUMI" = missing-key ]; then',
    "      echo \"error: configuration key 'edgeAuth' not found for stack 'prod'\" >&2; exit 255",
    "    fi",
    '    if [ "$FAKE_PULUMI" = config-down ]; then',
    '      echo "error: could not get secrets manager: AuthorizationPermissionMismatch" >&2; exit 255',
    "    fi",
    '    echo \'{"mode":"apiKeys"}\' ;;',
    '  *) echo "fake pulumi: unexpected $*" >&2; exit 2 ;;',
    "esac",
  ]);
  // `az keyvault secret show --vault-name V --name N …`: a value naming both.
  await fake("az", ['echo "secret-$7-from-$5"']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = (pulumi: string, extra: Record<string, string> = {}) => ({
  PATH: `${bin}:${process.env.PATH ?? ""}`,
  FAKE_PULUMI: pulumi,
  STACK: "prod",
  ...extra,
});

describe("with-smoke-credentials.sh", () => {
  /** What the wrapped command sees of the smoke credentials (empty: not set). */
  const PRINT = 'echo "api=$MLOPS_SMOKE_API_KEY canary=$MLOPS_SMOKE_CANARY_TOKEN"';
  const wrap = (pulumi: string) =>
    run("bash", [WITH_CREDENTIALS, "bash", "-c", PRINT], { env: env(pulumi) });

  it("reads the API key the stack's edgeAuth asks for, and the canary token, from the vault", async () => {
    const out = await wrap("ok");
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe(
      "api=secret-serving-api-key-1-from-kv-smoke canary=secret-serving-canary-token-1-from-kv-smoke",
    );
  });

  it("runs the command without an API key when the stack sets no edgeAuth, and says so", async () => {
    const out = await wrap("missing-key");
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe("api= canary=secret-serving-canary-token-1-from-kv-smoke");
    expect(out.stderr).toMatch(/the stack sets no edgeAuth/);
  });

  it("stops with pulumi's error, running nothing, when pulumi cannot read the stack's config", async () => {
    const out = await wrap("config-down");
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("AuthorizationPermissionMismatch");
    expect(out.stdout).not.toContain("api=");
  });
});

describe("Read the stack outputs", () => {
  /** The step's `run:` as GitHub runs it (`shell: bash` is `bash --noprofile --norc -eo pipefail`). */
  async function readOutputs(job: string, pulumi: string) {
    const step = files.pipeline.jobs[job]!.steps.find((s) => s.id === "outputs")!;
    const output = join(dir, `${job}-${pulumi}-output`);
    const out = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
      env: env(pulumi, { GITHUB_OUTPUT: output }),
    });
    return { out, written: await readFile(output, "utf8").catch(() => "") };
  }

  it.each(["deploy", "promote"])("%s: writes the ingress host pulumi reports", async (job) => {
    const { out, written } = await readOutputs(job, "ok");
    expect(out.code, out.stderr).toBe(0);
    expect(written).toBe("ingress-host=predict.example.com\n");
  });

  it.each(["deploy", "promote"])("%s: fails, writing nothing, when pulumi fails", async (job) => {
    const { out, written } = await readOutputs(job, "down");
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("AuthorizationPermissionMismatch");
    expect(written).toBe("");
  });
});
