import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSpec, GarchFit, simulate } from "@mlops/garch";
import { openSqliteStore } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli, writeDemoCsv } from "../../test-support/cli.js";

let root: string;
let returnsCsv: string;

const run = (argv: string[]) => runCli(join(root, "platform.db"), argv);
/** `mlops garch fit` on the simulated returns as model `vol`, with `more` options. */
const fitVol = (...more: string[]) =>
  run(["garch", "fit", "--data", returnsCsv, "--column", "r", "--name", "vol", ...more]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-garch-"));
  // 1,500 returns from a known GARCH(1,1), two columns so --column matters.
  const sim = simulate(
    checkSpec({ p: 1, q: 1, mean: "constant" }),
    { mu: 0.05, omega: 0.1, alpha: [0.1], beta: [0.8] },
    1500,
    { seed: 5 },
  );
  returnsCsv = join(root, "returns.csv");
  await writeFile(
    returnsCsv,
    ["day,r", ...Array.from(sim.returns, (r, i) => `${i},${r}`)].join("\n"),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("mlops garch fit", () => {
  it("selects, tracks and registers a GARCH model whose artifact restores the fit", async () => {
    const fit = await fitVol(
      ...["--max-p", "1", "--max-q", "1", "--dist", "normal"],
      ...["--artifacts", join(root, "artifacts"), "--json"],
    );
    expect(fit.stderr).toBe("");
    const result = JSON.parse(fit.stdout);
    expect(result).toMatchObject({
      model: { name: "vol", version: 1 },
      spec: { p: 1, q: 1, dist: "normal" },
    });
    const restored = GarchFit.fromJSON(
      JSON.parse(await readFile(join(result.artifact, "model.json"), "utf8")),
    );
    expect(restored.logLikelihood).toBe(result.metrics.log_likelihood);
    expect(restored.params.alpha[0]).toBeGreaterThan(0.03);
    const card = await run(["models", "card", "vol@1"]);
    expect(card.stdout).toMatch(/^# Model card: vol v1\n/);
    expect(card.stdout).toContain(`| log-likelihood | ${restored.logLikelihood.toFixed(4)} |`);
    const store = openSqliteStore(join(root, "platform.db"));
    try {
      expect(await store.models.get("vol", 1)).toMatchObject({
        kind: "garch",
        run_id: result.run_id,
      });
      expect((await store.runs.get(result.run_id))?.status).toBe("FINISHED");
    } finally {
      await store.close();
    }
  });

  it("writes plain progress lines, never redraws, where stderr is no terminal", async () => {
    // A clock 6 s further on at every reading: every candidate is past the lines' least gap.
    let clock = Date.now();
    const now = vi.spyOn(Date, "now").mockImplementation(() => (clock += 6000));
    try {
      const args = ["--max-p", "2", "--max-q", "1", "--dist", "normal", "--name", "vol-log"];
      const fit = await fitVol(...args, "--artifacts", join(root, "log-artifacts"));
      expect(fit.code).toBe(0);
      expect(fit.stderr).toBe(
        "fitting: 1/2 candidate models fitted\nfitting: 2/2 candidate models fitted\n",
      );
      // --json keeps stderr for errors, as it keeps the bar off a terminal.
      const json = await fitVol(...args, "--artifacts", join(root, "log-artifacts"), "--json");
      expect([json.code, json.stderr]).toEqual([0, ""]);
    } finally {
      now.mockRestore();
    }
  });

  it("names the column to use and bad cells", async () => {
    const noColumn = await run(["garch", "fit", "--data", returnsCsv, "--name", "vol"]);
    expect(noColumn.stderr).toBe(
      "error: column is required when the file has several columns (day, r): name the returns column with --column\n",
    );
    const broken = join(root, "broken.csv");
    await writeFile(broken, "r\n0.1\nabc\n0.2\n");
    const bad = await run(["garch", "fit", "--data", broken, "--name", "vol"]);
    expect(bad.stderr).toBe('error: row 2 (line 3) column "r": "abc" is not a decimal number\n');
    const noData = await run(["garch", "fit", "--data", "", "--name", "vol"]);
    expect(noData.stderr).toBe(
      "error: option '--data <file>' argument '' is invalid. --data must name a file (got an empty path)\n",
    );
    const dist = await fitVol("--dist", "cauchy");
    expect(dist.stderr).toMatch(/^error: --dist must list distributions of normal, t, skewt, ged/);
  });

  it("refuses to register a classifier under a GARCH model's name", async () => {
    expect((await fitVol("--name", "vol-kind")).code).toBe(0);
    const data = await writeDemoCsv(root, 200);
    const args = ["--data", data, "--label", "label", "--trees", "2", "--json"];
    const trained = await run(["train", ...args, "--name", "clf", "--artifacts", join(root, "a")]);
    const { artifact } = JSON.parse(trained.stdout);
    const mixed = await run(["register", "--path", artifact, "--name", "vol-kind"]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(
      /: model vol-kind holds garch versions, so a classifier version cannot be registered under that name: choose another name\n$/,
    );
    const listed = JSON.parse((await run(["models", "list", "--json"])).stdout);
    expect(listed.find((m: { name: string }) => m.name === "vol-kind")).toMatchObject({
      kind: "garch",
      latest_version: 1,
    });
  });

  it("refuses a name of the other kind, or artifacts it cannot write, before recording a run", async () => {
    const artifacts = join(root, "kind-artifacts");
    expect((await fitVol("--name", "vol-clash", "--artifacts", artifacts)).code).toBe(0);
    const data = await writeDemoCsv(root, 200, "clash.csv");
    const trained = await run([
      ...["train", "--data", data, "--label", "label", "--trees", "2"],
      ...["--name", "clf-clash", "--artifacts", artifacts],
    ]);
    expect(trained.code).toBe(0);
    const store = openSqliteStore(join(root, "platform.db"));
    const recorded = async () => ({
      runs: (await store.runs.list()).length,
      garch: (await store.models.list("vol-clash")).length,
      classifier: (await store.models.list("clf-clash")).length,
      folders: (await readdir(artifacts)).length,
    });
    try {
      const before = await recorded();
      const classifier = await run([
        ...["train", "--data", data, "--label", "label", "--trees", "2"],
        ...["--name", "vol-clash", "--artifacts", artifacts],
      ]);
      expect([classifier.code, classifier.stderr]).toEqual([
        1,
        "error: --name must not name a model of another kind: model vol-clash holds garch versions, so a classifier version cannot be registered under that name: choose another name\n",
      ]);
      const garch = await run([
        ...["garch", "fit", "--data", returnsCsv, "--column", "r", "--max-p", "1", "--max-q", "1"],
        ...["--name", "clf-clash", "--artifacts", artifacts],
      ]);
      expect([garch.code, garch.stderr]).toEqual([
        1,
        "error: --name must not name a model of another kind: model clf-clash holds classifier versions, so a garch version cannot be registered under that name: choose another name\n",
      ]);
      const devNull = await fitVol("--name", "vol-clash", "--artifacts", "/dev/null");
      expect([devNull.code, devNull.stderr]).toEqual([
        1,
        'error: --artifacts must be a folder that can be created and written (/dev/null: a folder on its path is a file) (got "/dev/null")\n',
      ]);
      expect(await recorded()).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it("moves a GARCH model's champion without an A/B decision, which only a classifier has", async () => {
    expect((await fitVol("--name", "vol-served")).code).toBe(0);
    /** `mlops promote` of vol-served v1 to `alias`. */
    const promote = (alias: string, ...more: string[]) =>
      run(["promote", "--name", "vol-served", "--version", "1", "--alias", alias, ...more]);
    const promoted = await promote("champion", "--json");
    expect(promoted.stderr).toBe("");
    expect(JSON.parse(promoted.stdout)).toMatchObject({
      model: { name: "vol-served", version: 1 },
      alias: "champion",
      previous: null,
      forced: false,
    });
    const shown = JSON.parse(
      (await run(["models", "show", "vol-served@champion", "--json"])).stdout,
    );
    expect(shown.version).toBe(1);
    const challenger = await promote("challenger");
    expect([challenger.code, challenger.stderr]).toEqual([
      1,
      'error: --alias challenger is the second arm of a classifier\'s A/B test, and vol-served is a garch model, which has none: make it champion (what the GARCH service serves) or give it another alias (got "challenger")\n',
    ]);
  });

  it("refuses bad orders, distributions and series before it records a run", async () => {
    const short = join(root, "short.csv");
    await writeFile(short, `r\n${Array.from({ length: 30 }, (_, i) => (i % 3) - 1).join("\n")}\n`);
    const refused = [
      [
        await fitVol("--max-q", "0"),
        /^error: .*--max-q must be an integer in \[1, 20\] \(got "0"\)/,
      ],
      [await fitVol("--max-p", "21"), /^error: .*--max-p must be an integer in \[1, 20\]/],
      [
        await fitVol("--dist", "t,t"),
        /^error: --dist must list each distribution once \(got "t,t"\)/,
      ],
      [
        await run(["garch", "fit", "--data", short, "--name", "refused", "--dist", "normal"]),
        /^error: returns has 30 observations; this model needs at least/,
      ],
    ] as const;
    for (const [result, message] of refused) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    const store = openSqliteStore(join(root, "platform.db"));
    try {
      expect(await store.runs.list({ experimentName: "refused" })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
