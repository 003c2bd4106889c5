import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Decision } from "@mlops/contracts";
import { openSqliteStore } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decisionRecord,
  PROD_STACK_FILE,
  ROOT,
  registerModels,
} from "../../test-support/fixtures.js";
import { runCommands } from "../../test-support/program.js";
import { readStackTarget } from "../stack-config.js";

describe("mlops release", () => {
  let dir: string;
  let stack: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-release-"));
    stack = join(dir, "Pulumi.prod.yaml");
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    await copyFile(PROD_STACK_FILE, stack);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const writeDecision = async (name: string, record: object) => {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(record));
    return file;
  };
  const decisionFile = (kind: Decision["decision"]) => writeDecision(kind, decisionRecord(kind));
  const plan = async (kind: Decision["decision"], ...flags: string[]) =>
    runCommands(
      [
        "release",
        "plan",
        "--decision",
        await decisionFile(kind),
        "--stack-config",
        stack,
        ...flags,
      ],
      { PATH: dir },
    );

  it("prints one JSON plan with the full config keys", async () => {
    const out = await plan("rollback", "--json");
    expect(out.error).toBeUndefined();
    const printed = JSON.parse(out.stdout);
    expect(printed).toMatchObject({ action: "rollback", ok: true, stack: "prod", applied: false });
    expect(printed.changes.map((c: { key: string }) => c.key)).toEqual([
      "mlops-platform:serving.canaryWeight",
      "mlops-platform:serving.challengerImageTag",
      "mlops-platform:serving.challengerModel",
    ]);
  });

  it("fails on an invalid decision, after printing that nothing is released", async () => {
    const out = await plan("invalid");
    expect(out.error?.message).toMatch(/^decision invalid: the analysis says invalid/);
    expect(out.stdout).toMatch(/no config changes/);
    expect(out.stdout).toMatch(/the decision is invalid: nothing is released/);
  });

  it("--apply fails clearly, before writing anything, when the Pulumi CLI is missing", async () => {
    const out = await plan("promote", "--apply");
    expect(out.error?.message).toMatch(/--apply needs the Pulumi CLI, and `pulumi` is not on PATH/);
    expect((await readStackTarget(stack)).serving.canaryWeight).toBe(10);
  });

  it("--apply puts the stack file back when a later pulumi config set fails", async () => {
    // A pulumi whose first call writes the file and whose second finds the stack locked.
    const bin = join(dir, "locked-bin");
    await mkdir(bin, { recursive: true });
    const fake = join(bin, "pulumi");
    await writeFile(
      fake,
      [
        "#!/bin/sh",
        `if [ -e "${bin}/called" ]; then echo "error: could not acquire stack lock" >&2; exit 1; fi`,
        `: > "${bin}/called"`,
        'echo "# written by the first call" >> "$6"',
        "exit 0",
      ].join("\n"),
    );
    await chmod(fake, 0o755);
    const before = await readFile(stack, "utf8");
    const out = await runCommands(
      [
        ...["release", "plan", "--decision", await decisionFile("promote")],
        ...["--stack-config", stack, "--apply"],
      ],
      { PATH: bin },
    );
    expect(out.error?.message).toMatch(
      /failed: error: could not acquire stack lock; .*Pulumi\.prod\.yaml is as it was: nothing is applied$/,
    );
    expect(await readFile(stack, "utf8")).toBe(before);
  });

  it("--apply of a continue decision has nothing to write, so it needs no Pulumi CLI", async () => {
    const out = await plan("continue", "--apply");
    expect(out.error).toBeUndefined();
    expect(out.stdout).toMatch(/no config changes\nnothing to apply\n$/);
  });

  it("refuses a decision on a stack edited by hand to another challenger, writing nothing", async () => {
    // `pulumi config set --path serving.challengerModel classifier@14`: the experiment id stays,
    // so only the arms the decision names tell its analysis was of another challenger.
    const edited = join(dir, "Pulumi.edited.yaml");
    const text = (await readFile(stack, "utf8")).replace(
      "challengerModel: classifier@13",
      "challengerModel: classifier@14",
    );
    await writeFile(edited, text);
    expect((await readStackTarget(edited)).serving).toMatchObject({
      challengerModel: "classifier@14",
      experimentId: "classifier-12-vs-13",
    });
    const out = await runCommands(
      [
        ...["release", "plan", "--decision", await decisionFile("promote")],
        ...["--stack-config", edited, "--apply"],
      ],
      { PATH: dir },
    );
    expect(out.error?.message).toBe(
      "--decision decision-promote judged champion=classifier@12, challenger=classifier@13, but the stack serves champion=classifier@12, challenger=classifier@14 under experiment classifier-12-vs-13: the decision is about other models (was the stack config edited by hand?); give the served pair its own experiment (`mlops release candidate`) and analyze that",
    );
    expect(out.stdout).toBe("");
    expect(await readFile(edited, "utf8")).toBe(text);
  });

  it("refuses a decision recorded without its arms, and one dated after the clock now", async () => {
    const { variants: _, ...old } = decisionRecord("promote");
    const unnamed = await runCommands([
      "release",
      "plan",
      "--decision",
      await writeDecision("old", old),
      "--stack-config",
      stack,
    ]);
    expect(unnamed.error?.message).toMatch(
      /^--decision decision-promote does not name the arms it judged .*: re-run `mlops ab analyze --experiment classifier-12-vs-13 --decision-out <file>`/,
    );
    const future = { ...decisionRecord("promote"), decided_at: Date.now() + 3_600_000 };
    const early = await runCommands([
      ...["release", "plan", "--decision", await writeDecision("future", future)],
      ...["--stack-config", stack],
    ]);
    expect(early.error?.message).toMatch(
      /^--decision decision-promote is dated .*, more than 5 minutes after now/,
    );
  });

  it("rejects a file that is not a decision record", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{not json");
    const out = await runCommands(["release", "plan", "--decision", file]);
    expect(out.error?.message).toMatch(
      /^--decision must be a readable JSON file: it is not valid JSON \(Expected/,
    );
    const missing = await runCommands(["release", "plan", "--decision", join(dir, "none.json")]);
    expect(missing.error?.message).toBe(
      "--decision must be a readable JSON file: no such file or directory",
    );
  });

  it("candidate: names the flag and the rule of a moving image tag", async () => {
    const out = await runCommands([
      "release",
      "candidate",
      "--image-tag",
      "nightly",
      "--model",
      "classifier@14",
      "--stack-config",
      stack,
    ]);
    expect(out.error?.message).toMatch(/^--image-tag must be an immutable image tag/);
    const weight = await runCommands(["release", "candidate", "--canary-weight", "101"]);
    expect(weight.error?.message).toMatch(/--canary-weight must be an integer in 0-100/);
  });

  // The Pulumi program's own messages (infra/src/config.test.ts) for the same settings.
  it.each([
    {
      what: "pod and service ranges that overlap",
      edit: ["podCidr: 192.168.0.0/16", "podCidr: 172.16.0.0/12"],
      line: "mlops-platform:network.serviceCidr: must not overlap podCidr 172.16.0.0/12",
    },
    {
      what: "a misspelt key",
      edit: ["mlops-platform:network:", "mlops-platform:netwrok:"],
      line: "mlops-platform:netwrok: is not a setting of this program (misspelt, or left over?)",
    },
  ])(
    "candidate: refuses a stack with $what as pulumi up would, before anything else",
    async ({ edit: [from, to], line }) => {
      const bad = join(dir, "Pulumi.bad.yaml");
      const text = (await readFile(stack, "utf8")).replace(from!, to!);
      await writeFile(bad, text);
      // --apply with no Pulumi CLI on PATH: the stack is refused before the CLI is looked for.
      const out = await runCommands(
        [
          ...["release", "candidate", "--image-tag", "1.6.0", "--model", "classifier@14"],
          ...["--stack-config", bad, "--apply"],
        ],
        { PATH: dir },
      );
      expect(out.error?.message).toBe(`${bad}: invalid stack config:\n  ${line}`);
      expect(out.stdout).toBe("");
      expect(await readFile(bad, "utf8")).toBe(text);
    },
  );

  it("show prints every serving setting under its config key", async () => {
    const out = await runCommands(["release", "show", "--stack-config", stack]);
    expect(out.error).toBeUndefined();
    expect(out.stdout).toContain("mlops-platform:serving.canaryWeight  10\n");
    expect(out.stdout.trim().split("\n")).toHaveLength(6);
  });

  it("experiment defines the stack's experiment in the store once", async () => {
    const db = join(dir, "platform.db");
    const models = openSqliteStore(db);
    try {
      // The stack's champion and challenger, classifier@12 and @13.
      await registerModels(models, "classifier", 13);
    } finally {
      await models.close();
    }
    const define = () =>
      runCommands(["release", "experiment", "--stack-config", stack, "--json"], {}, db);
    const first = await define();
    expect(first.error).toBeUndefined();
    const { created, experiment } = JSON.parse(first.stdout);
    expect(created).toBe(true);
    expect(JSON.parse((await define()).stdout).created).toBe(false);
    const store = openSqliteStore(db);
    try {
      expect((await store.experiments.get(experiment.id))?.variants.map((v) => v.weight)).toEqual([
        90, 10,
      ]);
    } finally {
      await store.close();
    }
  });
});

describe("mlops smoke", () => {
  it("refuses a GARCH model reference that is none, before sending anything", async () => {
    const out = await runCommands(
      ["smoke", "--url", "http://127.0.0.1:9", "--garch-model", "bad model"],
      {},
    );
    expect(out.error?.message).toMatch(/--garch-model model name must be 1-64 characters/);
  });

  it("refuses a routing header that is not an HTTP header name, before sending anything", async () => {
    for (const name of ["", "X Canary", "X:Canary"]) {
      const out = await runCommands([
        "smoke",
        "--url",
        "http://127.0.0.1:1",
        "--header-name",
        name,
      ]);
      expect(out.error?.message).toBe(
        `error: option '--header-name <name>' argument '${name}' is invalid. --header-name must be an HTTP header name: letters, digits and !#$%&'*+-.^_\`|~ (got ${JSON.stringify(name)})`,
      );
      expect(out.stdout).toBe("");
    }
  });
});
