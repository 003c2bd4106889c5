import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { GarchFit, MAX_ORDER, Random } from "../src/index.js";

// The CLI is tested as scripts use it: a real process, its stdout, stderr and exit code.
const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const dem2gbp = join(pkg, "data/dem2gbp.csv");
const dir = mkdtempSync(join(tmpdir(), "garch-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function garch(...args: string[]) {
  const out = spawnSync(process.execPath, ["--import", "tsx", join(pkg, "cli/bin.ts"), ...args], {
    cwd: pkg,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}
/** `garch fit <csv> --json` with `flags` written as on a command line. */
function fitJson(csv: string, flags = "") {
  return garch("fit", csv, "--json", ...flags.split(" ").filter((word) => word !== ""));
}
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("garch fit --json", () => {
  it("prints exactly one JSON object with the documented keys", () => {
    const { code, stdout, stderr } = fitJson(dem2gbp, "--horizon 5 --repeat 3");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(stdout);
    expect(out.model).toEqual({ p: 1, q: 1, mean: "constant", dist: "normal", init: "fcp" });
    expect(Object.keys(out.params)).toEqual(["mu", "omega", "alpha", "beta"]);
    for (const kind of ["hessian", "opg", "robust"]) {
      expect(Object.keys(out.se[kind])).toEqual(Object.keys(out.params));
    }
    expect(out.loglik).toBeCloseTo(-1106.60788, 4);
    expect(out.converged).toBe(true);
    expect(out.iterations).toBeGreaterThan(0);
    expect(out.fit_ms).toBeGreaterThan(0);
    expect(out.forecast.mean).toHaveLength(5);
    expect(out.forecast.variance).toHaveLength(5);
    expect(out.aic).toBeCloseTo(-2 * out.loglik + 2 * 4, 9);
  });

  it("honours the model flags", () => {
    const { code, stdout } = fitJson(
      dem2gbp,
      "--p 2 --q 1 --mean zero --dist t --init ewma --stationarity off",
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.model).toEqual({ p: 2, q: 1, mean: "zero", dist: "t", init: "ewma" });
    expect(Object.keys(out.params)).toEqual(["omega", "alpha", "beta", "nu"]);
    expect(out.params.alpha).toHaveLength(2);
    expect(out.params.nu).toBeGreaterThan(2);
  });

  it("reaches the global GARCH(2,2) optimum of garch22-local-optimum.csv, converged", () => {
    const { code, stdout } = fitJson(
      join(pkg, "data/garch22-local-optimum.csv"),
      "--p 2 --q 2 --init fcp --stationarity off",
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.loglik).toBeGreaterThanOrEqual(-6983.5817);
    expect(out.converged).toBe(true);
    expect(out.active_constraints).toEqual([]);
    expect(out.projected_gradient).toBeGreaterThanOrEqual(0);
  });

  it("saves a fit that can be restored and forecast from", () => {
    const saved = join(dir, "fit.json");
    const { code, stdout } = garch("fit", dem2gbp, "--json", "--save", saved, "--horizon", "3");
    expect(code).toBe(0);
    const restored = GarchFit.fromJSON(JSON.parse(readFileSync(saved, "utf8")));
    const forecast = restored.forecast(3);
    expect([...forecast.variance]).toEqual(JSON.parse(stdout).forecast.variance);
  });

  it("saves into a new folder, and names a path it cannot write, leaving nothing behind", () => {
    const nested = join(dir, "fits", "dem", "fit.json");
    expect(garch("fit", dem2gbp, "--json", "--save", nested).code).toBe(0);
    expect(GarchFit.fromJSON(JSON.parse(readFileSync(nested, "utf8"))).converged).toBe(true);
    const folder = join(dir, "fits");
    const before = readdirSync(folder);
    const onFolder = garch("fit", dem2gbp, "--save", folder);
    expect(onFolder).toMatchObject({ code: 2, stdout: "" });
    expect(onFolder.stderr).toBe(`garch: cannot write ${folder}: EISDIR\n`);
    expect(readdirSync(folder)).toEqual(before);
    const underFile = garch("fit", dem2gbp, "--save", join(nested, "fit.json"));
    expect(underFile).toMatchObject({ code: 2, stdout: "" });
    expect(underFile.stderr).toMatch(
      /^garch: cannot write .*fit\.json\/fit\.json: (ENOTDIR|EEXIST)\n$/,
    );
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
  it("follows a symbolic link, writing its target and keeping the link", () => {
    const target = file("target.json", "old\n");
    const link = join(dir, "link.json");
    symlinkSync("target.json", link);
    const run = garch("fit", dem2gbp, "--save", link);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("target.json");
    expect(GarchFit.fromJSON(JSON.parse(readFileSync(target, "utf8"))).converged).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
  // As root, renaming over /dev/null made it a regular file: a device or FIFO is written in place.
  it.runIf(spawnSync("mkfifo", ["--version"]).status === 0)(
    "writes into a FIFO in place instead of replacing it",
    async () => {
      const fifo = join(dir, "fit.fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const received = join(dir, "from-fifo.json");
      const out = openSync(received, "w");
      const reader = spawn("cat", [fifo], { stdio: ["ignore", out, "ignore"] });
      closeSync(out);
      const readerDone = new Promise<void>((done) => reader.on("exit", () => done()));
      try {
        const run = garch("fit", dem2gbp, "--save", fifo);
        expect(run).toMatchObject({ code: 0, stderr: "" });
        expect(lstatSync(fifo).isFIFO()).toBe(true);
        await readerDone;
        expect(GarchFit.fromJSON(JSON.parse(readFileSync(received, "utf8"))).nobs).toBe(1974);
      } finally {
        if (reader.exitCode === null) reader.kill();
      }
    },
  );
  // Node's recursive mkdir spins forever there (mkdir answers ENOENT under /proc).
  it.runIf(existsSync("/proc/self"))("names a folder under /proc it cannot make, at once", () => {
    const underProc = garch("fit", dem2gbp, "--save", "/proc/no-such-folder/fit.json");
    expect(underProc).toMatchObject({ code: 2, stdout: "" });
    expect(underProc.stderr).toBe("garch: cannot write /proc/no-such-folder/fit.json: ENOENT\n");
  });
});

describe("garch fit, readable output", () => {
  it("prints a summary table and a forecast", () => {
    const { code, stdout } = garch("fit", dem2gbp);
    expect(code).toBe(0);
    expect(stdout).toMatch(/GARCH\(1,1\) · mean constant · normal innovations · init fcp/);
    expect(stdout).toMatch(/alpha\[1\]/);
    expect(stdout).toMatch(/converged after \d+ iterations/);
    expect(stdout).toMatch(/volatility/);
  });
  it("prints small estimates and forecasts with six significant digits", () => {
    // dem2gbp in fractions rather than percent: omega near 1e-6, variances near 1e-5.
    const fractions = readFileSync(dem2gbp, "utf8")
      .trim()
      .split("\n")
      .map((line, i) => (i === 0 ? line : String(Number(line) / 100)))
      .join("\n");
    const csv = file("dem2gbp-fractions.csv", fractions);
    const text = garch("fit", csv, "--horizon", "1");
    const json = JSON.parse(fitJson(csv, "--horizon 1").stdout);
    expect(text.code).toBe(0);
    const row = (name: string) => text.stdout.split("\n").find((l) => l.startsWith(name))!;
    const omega = row("omega").trim().split(/\s+/);
    expect(omega[1]).toBe(json.params.omega.toExponential(5));
    expect(Number(omega[2])).toBeGreaterThan(0);
    expect(row("alpha[1]").trim().split(/\s+/)[1]).toBe(json.params.alpha[0].toFixed(6));
    const forecast = row("1 ").trim().split(/\s+/);
    expect(forecast[2]).toBe(json.forecast.variance[0].toExponential(5));
  });
  it("warns on stderr, and fits anyway, when the column looks like prices", () => {
    let price = 100;
    const rows = Array.from({ length: 200 }, (_, i) => (price += Math.sin(i * 1.3) + 0.3));
    const prices = file("prices.csv", `close\n${rows.join("\n")}\n`);
    const run = garch("fit", prices, "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^garch: warning: column "close" looks like price levels/);
    expect(JSON.parse(run.stdout).nobs).toBe(200);
  });
  // It reads a whole GiB before it stops: seconds on a busy machine, past vitest's default 5.
  it.runIf(existsSync("/dev/zero"))(
    "stops reading an endless file at 1 GiB",
    () => {
      const endless = garch("fit", "/dev/zero");
      expect(endless).toMatchObject({ code: 2, stdout: "" });
      expect(endless.stderr).toBe("garch: cannot read /dev/zero: it holds more than 1 GiB\n");
    },
    60_000,
  );
  it("prints help", () => {
    const { code, stdout } = garch("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/p = number of ARCH terms/);
  });
});

describe("garch select", () => {
  it("reports the best model's own fit time, and the grid's as select_ms", () => {
    const run = garch("select", dem2gbp, "--max-p", "2", "--max-q", "2", "--json");
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const out = JSON.parse(run.stdout);
    expect(out.candidates).toHaveLength(4);
    expect(out.best.fit_ms).toBeGreaterThan(0);
    expect(out.select_ms).toBeGreaterThan(out.best.fit_ms);
  });
  it("prints n/a, not NaN, for the statistics of a candidate that failed", () => {
    // 50 returns: enough for GARCH(1,1), too few for GARCH(2,2) (at least 62).
    const rng = new Random(5);
    const short = file(
      "short-select.csv",
      `r\n${Array.from({ length: 50 }, () => rng.standardNormal()).join("\n")}\n`,
    );
    const run = garch("select", short);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/NaN/);
    expect(run.stdout).toMatch(/GARCH\(2,2\) normal LL +n\/a +AIC +n\/a +BIC +n\/a +not converged/);
  });
});

describe("garch fit, an explosive fit over a long horizon", () => {
  it("refuses a forecast that overflows, naming the step and the persistence", () => {
    // GARCH(1,1) with alpha + beta = 1.2: variances grow without bound.
    const rng = new Random(3);
    let h = 1;
    let e2 = 1;
    const returns = Array.from({ length: 300 }, () => {
      h = 0.1 + 0.35 * e2 + 0.85 * h;
      const e = Math.sqrt(h) * rng.standardNormal();
      e2 = e * e;
      return e;
    });
    const csv = file("explosive.csv", `r\n${returns.join("\n")}\n`);
    const saved = join(dir, "explosive-fit.json");
    const run = garch(
      "fit",
      csv,
      "--stationarity",
      "off",
      "--horizon",
      "3000",
      "--json",
      "--save",
      saved,
    );
    expect(run).toMatchObject({ code: 2, stdout: "" });
    const message =
      /^garch: --horizon 3000: the forecast variance overflows a double after step (\d+) because the fit is explosive \(alpha\+beta = [\d.]+\); give a --horizon of at most \1\n$/;
    expect(run.stderr).toMatch(message);
    expect(existsSync(saved)).toBe(false);
    const steps = run.stderr.match(message)![1]!;
    const shorter = garch("fit", csv, "--stationarity", "off", "--horizon", steps, "--json");
    expect(shorter.code).toBe(0);
    const variance: unknown[] = JSON.parse(shorter.stdout).forecast.variance;
    expect(variance).toHaveLength(Number(steps));
    expect(variance.every((v) => typeof v === "number" && Number.isFinite(v))).toBe(true);
  });
});

describe("garch, bad input", () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      "a non-numeric cell",
      ["fit", file("bad.csv", "r\n0.1\n0.2\nabc\n")],
      /line 4, column "r": "abc" is not a decimal number/,
    ],
    ["a missing file", ["fit", join(dir, "nope.csv")], /cannot read .*nope\.csv: ENOENT/],
    ["a zero ARCH order", ["fit", dem2gbp, "--p", "0"], /--p must be ≥ 1/],
    ["a non-integer order", ["fit", dem2gbp, "--q", "1.5"], /--q must be a whole number/],
    [
      "an unknown distribution",
      ["fit", dem2gbp, "--dist", "cauchy"],
      /--dist must be one of normal, t, skewt, ged/,
    ],
    [
      "a negative init",
      ["fit", dem2gbp, "--init=-1"],
      /--init must be fcp, ewma or a positive number/,
    ],
    [
      "a zero init",
      ["fit", dem2gbp, "--init", "0"],
      /--init must be fcp, ewma or a positive number/,
    ],
    [
      "an overflowing init",
      ["fit", dem2gbp, "--init", "1e400"],
      /^garch: --init must be fcp, ewma or a positive number/,
    ],
    [
      "an AR order above the library's",
      ["fit", dem2gbp, "--mean", "ar:60"],
      /^garch: --mean must be zero, constant or ar:K \(K from 1 to 50\)/,
    ],
    [
      "variance targeting without stationarity",
      ["fit", dem2gbp, "--stationarity", "off", "--variance-targeting"],
      /^garch: --variance-targeting needs --stationarity on/,
    ],
    [
      "variance targeting without stationarity (select)",
      ["select", dem2gbp, "--stationarity", "off", "--variance-targeting"],
      /^garch: --variance-targeting needs --stationarity on/,
    ],
    ["a zero --max-q", ["select", dem2gbp, "--max-q", "0"], /^garch: --max-q must be ≥ 1\n$/],
    [
      "a --max-p above the library's largest order",
      ["select", dem2gbp, "--max-p", String(MAX_ORDER + 1)],
      new RegExp(`^garch: --max-p must be ≤ ${MAX_ORDER}\n$`),
    ],
    [
      "a distribution listed twice",
      ["select", dem2gbp, "--dist", "normal,normal"],
      /^garch: --dist lists normal more than once/,
    ],
    [
      "a repeated --dist (fit)",
      ["fit", dem2gbp, "--dist", "t", "--dist", "ged"],
      /^garch: --dist is given 2 times: fit takes one distribution/,
    ],
    [
      "a repeated --dist (select)",
      ["select", dem2gbp, "--dist", "normal", "--dist", "t"],
      /^garch: --dist is given 2 times: .*comma-separated/,
    ],
    ["a repeated --p", ["fit", dem2gbp, "--p", "1", "--p=2"], /^garch: --p is given 2 times/],
    [
      "an ambiguous --column",
      ["fit", file("twice.csv", "r,r\n0.1,0.2\n-0.2,0.1\n"), "--column", "r"],
      /^garch: line 1, column "r": the header names this column more than once/,
    ],
    ["an unknown option", ["fit", dem2gbp, "--bogus"], /Unknown option '--bogus'/],
    ["an unknown command", ["frobnicate", dem2gbp], /unknown command "frobnicate"/],
    ["no file", ["fit"], /missing FILE\.csv/],
    ["a constant series", ["fit", file("flat.csv", `r\n${"1\n".repeat(500)}`)], /constant/i],
    ["a too-short series", ["fit", file("short.csv", "r\n0.1\n-0.2\n0.3\n")], /short|at least/i],
  ];
  it.each(cases)(
    "%s exits 2 with a message naming the problem, nothing on stdout",
    (_, args, message) => {
      const { code, stdout, stderr } = garch(...args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/^garch: /);
      expect(stderr).toMatch(message);
    },
  );
});
