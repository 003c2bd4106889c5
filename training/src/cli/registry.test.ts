import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, withSqlite, writeDemoCsv } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { DEMO_DATA } from "../jobs/demo.js";

let root: string;
let trained: { run_id: string; artifact: string; data_hash: string };
const dbPath = () => join(root, "platform.db");

const run = (argv: string[], env: Record<string, string> = {}) => runCli(dbPath(), argv, env);

const withStore = <T>(fn: (store: Store) => Promise<T>) => withSqlite(dbPath(), fn);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-registry-"));
  const data = await writeDemoCsv(root, 400);
  const artifacts = join(root, "artifacts");
  const args = ["--data", data, "--label", "label", "--trees", "5", "--artifacts", artifacts];
  const result = await run(["train", ...args, "--json"]);
  expect(result.stderr).toBe("");
  trained = JSON.parse(result.stdout);
  // A second version, for promotions.
  expect((await run(["train", ...args, "--json"])).code).toBe(0);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("mlops models", () => {
  it("lists, shows and prints the cards of what training registered", async () => {
    const list = JSON.parse((await run(["models", "list", "--json"])).stdout);
    expect(list).toContainEqual(expect.objectContaining({ name: "small", latest_version: 2 }));
    const shown = await run(["models", "show", "small@1", "--json"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: "small",
      version: 1,
      run_id: trained.run_id,
      status: "READY",
    });
    expect((await run(["models", "show", "small"])).stdout).toMatch(
      /^small v2 \(classifier, READY\)\n/,
    );
    const card = await run(["models", "card", "small@1"]);
    expect(card.stdout).toMatch(/^# Model card: small v1/);
  });

  it("closes a registration whose process died, and lists what a bare name resolves to", async () => {
    // The store's record of a registration killed before its files were written.
    await withStore(async (s) => {
      const v1 = await s.models.resolve("small@1");
      await s.models.register({ ...v1, name: "stuck", artifact: { ...v1.artifact, uri: "x" } });
    });
    const listed = (await run(["models", "list"])).stdout;
    expect(listed).toContain("stuck\tclassifier\tlatest v1 (none READY)\t\n");
    expect(listed).toMatch(/^small\tclassifier\tlatest v\d+\t/m);
    for (const ref of ["stuck", "stuck@champion", "stuck@0", "@1"]) {
      const r = await run(["models", "abandon", ref]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /<name@version> .*: write NAME@VERSION, e\.g\. classifier@3 \(got "/,
      );
    }
    expect(await run(["models", "abandon", "stuck@1"])).toMatchObject({
      code: 0,
      stdout: "stuck v1: PENDING_REGISTRATION → FAILED_REGISTRATION\n",
    });
    const again = await run(["models", "abandon", "stuck@1"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error: sqlite:.*: model stuck version 1 is FAILED_REGISTRATION, not PENDING_REGISTRATION: it cannot become FAILED_REGISTRATION\n$/,
    );
    const ready = await run(["models", "abandon", "small@1"]);
    expect(ready.stderr).toMatch(/: model small version 1 is READY, not PENDING_REGISTRATION/);
    const missing = await run(["models", "abandon", "stuck@9"]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/: model stuck has no version 9\n$/),
    ]);
    const json = JSON.parse((await run(["models", "list", "--json"])).stdout);
    expect(json.find((m: { name: string }) => m.name === "stuck")).toMatchObject({
      latest_version: 1,
      ready_version: null,
    });
  });

  it("says which version's card it cannot read, and why", async () => {
    const twin = join(root, "no-card");
    // A version whose folder has lost its card: register a copy, then remove the card.
    const registered = await run([
      "register",
      "--path",
      trained.artifact,
      "--name",
      "uncarded",
      "--artifacts",
      twin,
      "--json",
    ]);
    expect(registered.code).toBe(0);
    const folder = JSON.parse(registered.stdout).artifact as string;
    await rm(join(folder, "card.md"));
    const res = await run(["models", "card", "uncarded@1"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `error: uncarded v1 has no readable model card: ${join(folder, "card.md")}: no such file or directory\n`,
    );
  });

  it("names a model it cannot find", async () => {
    const noModel = await run(["models", "show", "ghost@3"]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^error: .*ghost/);
  });
});

describe("mlops register", () => {
  it("registers a folder as the next version of a name, with its lineage and a manifest naming it", async () => {
    const r = await run([
      "register",
      "--path",
      trained.artifact,
      "--name",
      "copied",
      "--artifacts",
      join(root, "artifacts"),
      "--json",
    ]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.model).toEqual({ name: "copied", version: 1 });
    expect(out.source).toEqual({ name: "small", version: 1, path: trained.artifact });

    const manifest = JSON.parse(await readFile(join(out.artifact, "manifest.json"), "utf8"));
    expect([manifest.name, manifest.version, manifest.run_id]).toEqual([
      "copied",
      1,
      trained.run_id,
    ]);
    expect(await readFile(join(out.artifact, "model.json"), "utf8")).toBe(
      await readFile(join(trained.artifact, "model.json"), "utf8"),
    );
    const card = await readFile(join(out.artifact, "card.md"), "utf8");
    expect(card.split("\n").slice(0, 3)).toEqual([
      "# Model card: copied v1",
      "",
      `Registered from \`${trained.artifact}\`, where it was small v1.`,
    ]);
    expect(card).toContain("## Lineage");

    const v = await withStore((s) => s.models.resolve("copied@1"));
    expect(v).toMatchObject({
      kind: "classifier",
      run_id: trained.run_id,
      data_hash: trained.data_hash,
      artifact: { uri: join(out.artifact, "model.json"), sha256: manifest.model_sha256 },
    });
    expect(dirname(v.artifact.uri)).toBe(out.artifact);
  });

  it("reads a manifest saved with a UTF-8 byte-order mark, as it reads CSV and YAML", async () => {
    const copy = join(root, "bom");
    await cp(trained.artifact, copy, { recursive: true });
    const manifest = join(copy, "manifest.json");
    await writeFile(manifest, `\uFEFF${await readFile(manifest, "utf8")}`);
    const r = await run(["register", "--path", copy, "--name", "bom", "--json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout).source).toEqual({ name: "small", version: 1, path: copy });
  });

  it("refuses a folder whose model does not match its manifest, registering nothing", async () => {
    const tampered = join(root, "tampered");
    await run(["register", "--path", trained.artifact, "--name", "tmp", "--artifacts", tampered]);
    const [dir] = await withStore(async (s) =>
      (await s.models.list("tmp")).map((v) => v.artifact.uri),
    );
    await writeFile(dir!, "{}");
    const r = await run(["register", "--path", dirname(dir!), "--name", "tampered"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.json does not match model_sha256/);
    expect(await withStore((s) => s.models.list("tampered"))).toEqual([]);

    const missing = await run(["register", "--path", join(root, "nowhere")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error: --path must be an artifact directory with manifest\.json: no such file or directory/,
    );
  });
});

describe("mlops promote", () => {
  const promote = (...extra: string[]) => run(["promote", "--name", "small", "--json", ...extra]);

  it("moves an alias with compare-and-set and records the move as a run", async () => {
    const first = await promote("--version", "1", "--alias", "challenger");
    expect(first.stderr).toBe("");
    expect(JSON.parse(first.stdout)).toMatchObject({
      alias: "challenger",
      previous: null,
      forced: false,
    });
    const stale = await promote(
      "--version",
      "2",
      "--alias",
      "challenger",
      "--expected-version",
      "none",
    );
    expect([stale.code, stale.stderr]).toEqual([
      1,
      'error: --expected-version does not hold: small@challenger points at v1 (got "none")\n',
    ]);
    const wrong = await promote(
      "--version",
      "2",
      "--alias",
      "challenger",
      "--expected-version",
      "2",
    );
    expect(wrong.stderr).toBe(
      "error: --expected-version does not hold: small@challenger points at v1 (got 2)\n",
    );
    expect(await withStore((s) => s.models.aliases("small"))).toEqual({ challenger: 1 });
    const moved = await promote(
      "--version",
      "2",
      "--alias",
      "challenger",
      "--expected-version",
      "1",
    );
    const out = JSON.parse(moved.stdout);
    expect(out).toMatchObject({ model: { name: "small", version: 2 }, previous: 1 });
    const recorded = await withStore(async (s) => ({
      aliases: await s.models.aliases("small"),
      run: await s.runs.get(out.run_id),
    }));
    expect(recorded.aliases).toEqual({ challenger: 2 });
    expect(recorded.run).toMatchObject({
      experiment_name: "small",
      status: "FINISHED",
      tags: { "mlops.alias": "challenger", "mlops.previous_version": "1", "mlops.forced": "false" },
    });
  });

  it("sets an unset alias with --expected-version none, and refuses it once the alias is set", async () => {
    const set = await promote("--version", "1", "--alias", "staging", "--expected-version", "none");
    expect(set.stderr).toBe("");
    expect(JSON.parse(set.stdout)).toMatchObject({ alias: "staging", previous: null });
    const again = await promote(
      ...["--version", "2", "--alias", "staging", "--expected-version", "none"],
    );
    expect([again.code, again.stderr]).toEqual([
      1,
      'error: --expected-version does not hold: small@staging points at v1 (got "none")\n',
    ]);
    expect((await withStore((s) => s.models.aliases("small"))).staging).toBe(1);
  });

  it("refuses --force where nothing is forced: any alias but a classifier's champion", async () => {
    const before = await withStore((s) => s.models.aliases("small"));
    const forced = await promote(
      ...["--version", "2", "--alias", "shadow", "--force", "--reason", "why"],
    );
    expect([forced.code, forced.stderr]).toEqual([
      1,
      "error: --force forces nothing here: shadow moves without an A/B decision; only a classifier's champion move is gated (drop --force and --reason)\n",
    ]);
    expect(await withStore((s) => s.models.aliases("small"))).toEqual(before);

    const fit = await run([
      "garch",
      "fit",
      ...["--data", DEMO_DATA.returns, "--name", "vol", "--max-p", "1", "--max-q", "1"],
      ...["--dist", "normal", "--artifacts", join(root, "artifacts"), "--json"],
    ]);
    expect(fit.stderr).toBe("");
    const garch = await run(
      ["promote", "--name", "vol", "--version", "1", "--alias", "champion", "--json"].concat([
        "--force",
        "--reason",
        "why",
      ]),
    );
    expect([garch.code, garch.stderr]).toEqual([
      1,
      "error: --force forces nothing here: vol is a GARCH model, whose aliases (champion too) move without an A/B decision; only a classifier's champion move is gated (drop --force and --reason)\n",
    ]);
    const plain = await run(["promote", "--name", "vol", "--version", "1", "--alias", "champion"]);
    expect(plain.code).toBe(0);
    expect(await withStore((s) => s.models.aliases("vol"))).toEqual({ champion: 1 });
  });

  it("moves champion only with --force and a reason, which it records", async () => {
    const refused = await promote("--version", "1", "--alias", "champion");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/champion moves only through an A\/B decision/);
    const noReason = await promote("--version", "1", "--alias", "champion", "--force");
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toMatch(/--reason is required with --force/);
    expect(await withStore((s) => s.models.aliases("small"))).not.toHaveProperty("champion");

    const forced = await promote(
      "--version",
      "1",
      "--alias",
      "champion",
      "--force",
      "--reason",
      "rollback after incident 42",
    );
    const out = JSON.parse(forced.stdout);
    expect(out.forced).toBe(true);
    const run = await withStore((s) => s.runs.get(out.run_id));
    expect(run?.tags).toMatchObject({
      "mlops.forced": "true",
      "mlops.reason": "rollback after incident 42",
    });
    expect(await withStore((s) => s.models.aliases("small"))).toMatchObject({ champion: 1 });
  });

  it("never makes the champion's version the challenger; the challenger's may become champion", async () => {
    // champion is v1 and challenger v2 (the tests before).
    const same = await promote("--version", "1", "--alias", "challenger");
    expect([same.code, same.stderr]).toEqual([
      1,
      "error: --version is small@champion: the challenger must be another version, or the A/B test compares the champion with itself (got 1)\n",
    ]);
    expect(await withStore((s) => s.models.aliases("small"))).toMatchObject({
      champion: 1,
      challenger: 2,
    });
    // The challenger promoted, as an A/B decision does: challenger stays until the next candidate.
    const force = ["--alias", "champion", "--force", "--reason", "promoted by hand"];
    expect((await promote("--version", "2", ...force)).code).toBe(0);
    expect(await withStore((s) => s.models.aliases("small"))).toMatchObject({
      champion: 2,
      challenger: 2,
    });
    expect((await promote("--version", "1", ...force)).code).toBe(0);
  });

  it("refuses an arm that takes other features or predicts other classes than the other arm", async () => {
    // champion is v1 (the test before); v3 and v4 are trained on other columns and labels.
    const csv = (await readFile(join(root, "small.csv"), "utf8")).trimEnd().split("\n");
    const dir = await mkdtemp(join(root, "other-"));
    const train = async (lines: string[]) => {
      await writeFile(join(dir, "small.csv"), lines.join("\n"));
      const args = ["--data", join(dir, "small.csv"), "--label", "label", "--trees", "3"];
      const result = await run([
        "train",
        ...args,
        "--artifacts",
        join(root, "artifacts"),
        "--json",
      ]);
      return JSON.parse(result.stdout).model.version as number;
    };
    // Columns f0..f4,label,split: drop f4; then rename the labels.
    const fewer = await train(csv.map((l) => l.split(",").toSpliced(4, 1).join(",")));
    const renamed = await train(
      csv.map((l, i) => {
        const cells = l.split(",");
        if (i > 0) cells[5] = cells[5] === "0" ? "no" : "yes";
        return cells.join(",");
      }),
    );
    const before = await withStore((s) => s.models.aliases("small"));

    const features = await promote("--version", String(fewer), "--alias", "challenger");
    expect(features.code).toBe(1);
    expect(features.stderr).toMatch(
      new RegExp(
        `^error: --version small@champion is v1, and v${fewer} cannot be its challenger: both must take the same features in the same order \\(the champion takes f0, f1, f2, f3, f4; the challenger f0, f1, f2, f3\\)`,
      ),
    );
    const classes = await promote("--version", String(renamed), "--alias", "challenger");
    expect(classes.code).toBe(1);
    expect(classes.stderr).toMatch(
      /both must predict the same classes \(the champion predicts 0, 1; the challenger no, yes\)/,
    );
    // The check holds for champion the other way round; an alias of no arm is not checked.
    const champion = await promote(
      ...["--version", String(fewer), "--alias", "champion", "--force", "--reason", "test"],
    );
    expect(champion.stderr).toMatch(/^error: --version small@challenger is v2, and v\d+ cannot/);
    expect(await withStore((s) => s.models.aliases("small"))).toEqual(before);
    expect((await promote("--version", String(fewer), "--alias", "shadow")).code).toBe(0);
  });

  it("refuses an alias for a version whose registration did not finish", async () => {
    // The store's record of a registration whose process was killed before writing its files.
    const pending = await withStore(async (s) => {
      const v1 = await s.models.resolve("small@1");
      return s.models.register({ ...v1, artifact: { ...v1.artifact, uri: join(root, "never") } });
    });
    const before = await withStore((s) => s.models.aliases("small"));
    const r = await promote("--version", String(pending.version), "--alias", "shadow");
    expect([r.code, r.stderr]).toEqual([
      1,
      `error: --version v${pending.version} of small cannot take an alias: it is PENDING_REGISTRATION, and only a READY version can (register the model again) (got ${pending.version})\n`,
    ]);
    expect(await withStore((s) => s.models.aliases("small"))).toEqual(before);
    // A bare name passes it by.
    const shown = JSON.parse((await run(["models", "show", "small", "--json"])).stdout);
    expect(shown.version).toBe(pending.version - 1);
  });

  it("refuses an alias for a READY version whose files have gone since", async () => {
    const registered = await run([
      "register",
      ...["--path", trained.artifact, "--name", "small", "--artifacts", join(root, "cut")],
      "--json",
    ]);
    const { model, artifact } = JSON.parse(registered.stdout);
    await rm(artifact, { recursive: true });
    const before = await withStore((s) => s.models.aliases("small"));
    const r = await promote("--version", String(model.version), "--alias", "shadow");
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringMatching(
        new RegExp(
          `^error: --version v${model.version} of small cannot take an alias: its artifact does not read \\(.*model\\.json`,
        ),
      ),
    ]);
    expect(await withStore((s) => s.models.aliases("small"))).toEqual(before);
  });

  it("names bad flags", async () => {
    const r = await promote("--version", "9", "--alias", "challenger");
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringMatching(
        /--version names no registered version of small: its versions are 1(, \d)* \(got 9\)/,
      ),
    ]);
    const unknown = await run(["promote", "--name", "nosuch", "--version", "1", "--alias", "x"]);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/^error: --name names no registered model \(see mlops models list\)/),
    ]);
    const bad = await promote("--version", "1", "--alias", "Champion!");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --alias must be 1-32 characters/);
    for (const name of ["", "no spaces"]) {
      const r = await run(["promote", "--name", name, "--version", "1", "--alias", "shadow"]);
      expect([r.code, r.stderr]).toEqual([
        1,
        `error: --name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(name)})\n`,
      ]);
    }
    const huge = await promote("--version", "99999999999999999999", "--alias", "shadow");
    expect(huge.stderr).toMatch(/--version must be an integer in \[1, 9007199254740991\]/);
  });

  it("names --name when garch fit is given a name the registry refuses", async () => {
    const r = await run(["garch", "fit", "--data", DEMO_DATA.returns, "--name", "Bad Name"]);
    expect([r.code, r.stderr]).toEqual([
      1,
      `error: --name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got "Bad Name")\n`,
    ]);
  });
});

describe("with MLFLOW_TRACKING_URI", () => {
  it("mirrors the registered version and the alias into MLflow's registry", async () => {
    const mlflow = new MlflowServer();
    const env = { MLFLOW_TRACKING_URI: await mlflow.start() };
    try {
      const args = ["--path", trained.artifact, "--name", "mirrored", "--json"];
      const registered = await run(["register", ...args, "--artifacts", join(root, "m")], env);
      expect(registered.stderr).toBe("");
      const promoted = await run(
        ["promote", "--name", "mirrored", "--version", "1", "--alias", "challenger", "--json"],
        env,
      );
      expect(promoted.stderr).toBe("");
      expect(mlflow.violations).toEqual([]);
      const model = mlflow.registeredModels.get("mirrored")!;
      expect(model.versions.map((v) => [v.version, v.tags["mlops.version"]])).toEqual([["1", "1"]]);
      expect(model.aliases).toEqual({ challenger: "1" });
      // The promotion run is tracked on the MLflow server too.
      const runId = JSON.parse(promoted.stdout).run_id;
      expect(mlflow.runs.get(runId)?.tags["mlops.alias"]).toBe("challenger");
    } finally {
      await mlflow.stop();
    }
  });
});
