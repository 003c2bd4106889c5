/**
 * `pnpm bench:garch`: the GARCH core against its bar, side by side with R in one run.
 *
 * 1. Accuracy on the Fiorentini–Calzolari–Panattoni benchmark (dem2gbp, GARCH(1,1), init fcp).
 * 2. The global optimum: on simulated series with known truth and on real return series, our
 *    log-likelihood against the best that R's fGarch and tseries reach. Each tool's parameters
 *    are evaluated with OUR likelihood under one convention (tools report LLs under different
 *    conventions) and ours is fitted under their constraints (positivity only: neither imposes
 *    stationarity), so the comparison is like for like.
 * 3. Speed, GARCH(1,1), constant mean, Normal, n = 2,000 … 100,000: in-process medians of ours
 *    and of R's tseries and fGarch (Rscript reference.R), with the ratios.
 *
 * R parts run when `Rscript` with fGarch and tseries is installed (Debian: r-base-core
 * r-cran-fgarch r-cran-tseries r-cran-jsonlite) and are skipped with a note otherwise.
 * Python's arch cannot be installed here (not in Debian, PyPI unreachable): its figures are the
 * ones quoted in the issue, measured on a machine of this kind, and marked as quoted.
 * Flags: --json (one JSON object instead of tables), --quick (smaller speed grid).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { table } from "../cli/report.js";
import { readSeries } from "../io/csv.js";
import {
  checkSpec,
  type DistName,
  fit,
  type GarchOptions,
  type GarchParams,
  logLikelihood,
  simulate,
} from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "../data");
const asJson = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const work = mkdtempSync(join(tmpdir(), "garch-bench-"));

const log = (s = "") => {
  if (!asJson) process.stdout.write(`${s}\n`);
};
const lre = (x: number, ref: number) =>
  x === ref ? 15 : Math.min(15, -Math.log10(Math.abs(x - ref) / Math.abs(ref)));
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function series(file: string, column?: string): Float64Array {
  return readSeries(readFileSync(join(dataDir, file), "utf8"), column).values;
}

// ---------------------------------------------------------------- R
interface RFit {
  tool: "fGarch" | "tseries";
  fit_ms: number | null;
  params: {
    mu?: number;
    omega: number;
    alpha: number[] | number;
    beta: number[] | number;
    nu?: number;
  };
  loglik: number;
  message: string | null;
}
const hasR =
  spawnSync("Rscript", [
    "-e",
    "suppressMessages({library(fGarch);library(tseries);library(jsonlite)})",
  ]).status === 0;

function runR(
  x: Float64Array,
  p: number,
  q: number,
  dist: DistName,
  reps: number,
  tools: string,
): RFit[] {
  const file = join(work, `series-${x.length}-${p}${q}.csv`);
  writeFileSync(file, `r\n${Array.from(x, (v) => v.toPrecision(17)).join("\n")}\n`);
  const out = spawnSync(
    "Rscript",
    [join(here, "reference.R"), file, String(p), String(q), dist, String(reps), tools],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (out.status !== 0) throw new Error(`Rscript failed: ${out.stderr}`);
  return out.stdout
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as RFit);
}
const arr = (v: number[] | number) => (Array.isArray(v) ? v : [v]);

// ---------------------------------------------------------------- 1. FCP accuracy
const fcp = JSON.parse(readFileSync(join(dataDir, "fcp-benchmark.json"), "utf8"));
const dem = series("dem2gbp.csv");
const fcpFit = fit(dem, { init: "fcp" });
const ours: Record<string, number> = {
  mu: fcpFit.params.mu!,
  omega: fcpFit.params.omega,
  alpha1: fcpFit.params.alpha[0]!,
  beta1: fcpFit.params.beta[0]!,
};
const paramBar: Record<string, number> = { mu: 6, omega: 5, alpha1: 6, beta1: 6 };
const seKey: Record<string, "mu" | "omega" | "alpha" | "beta"> = {
  mu: "mu",
  omega: "omega",
  alpha1: "alpha",
  beta1: "beta",
};
const seOf = (kind: "hessian" | "opg" | "robust", name: string) => {
  const v = fcpFit.stdErrors[kind][seKey[name]!];
  return Array.isArray(v) ? v[0]! : (v as number);
};
const fcpRows = Object.keys(ours).map((name) => ({
  name,
  estimate: ours[name]!,
  published: fcp.params[name] as number,
  lre: lre(ours[name]!, fcp.params[name]),
  bar: paramBar[name]!,
  se: {
    hessian: lre(seOf("hessian", name), fcp.se_hessian[name]),
    opg: lre(seOf("opg", name), fcp.se_opg[name]),
    robust: lre(seOf("robust", name), fcp.se_qmle[name]),
  },
}));
const llRounded = Number(fcpFit.logLikelihood.toPrecision(9));
const fcpResult = {
  loglik: fcpFit.logLikelihood,
  loglik_9_digits_match: llRounded === fcp.loglik,
  converged: fcpFit.converged,
  params: fcpRows,
  pass:
    llRounded === fcp.loglik &&
    fcpRows.every((r) => r.lre >= r.bar && r.se.hessian >= 4 && r.se.opg >= 4 && r.se.robust >= 4),
};
log("1. FCP benchmark: dem2gbp, GARCH(1,1), constant mean, Normal, init fcp");
log(
  table([
    [
      "parameter",
      "estimate",
      "published",
      "LRE",
      "bar",
      "LRE se hessian",
      "LRE se opg",
      "LRE se robust",
    ],
    ...fcpRows.map((r) => [
      r.name,
      r.estimate.toPrecision(9),
      String(r.published),
      fmt(r.lre, 1),
      `≥ ${r.bar}`,
      fmt(r.se.hessian, 1),
      fmt(r.se.opg, 1),
      fmt(r.se.robust, 1),
    ]),
  ]),
);
log(
  `log-likelihood ${fcpFit.logLikelihood.toPrecision(12)} (published ${fcp.loglik}; 9 significant digits ${llRounded === fcp.loglik ? "match" : "DO NOT match"}); bar met: ${fcpResult.pass ? "yes" : "NO"}`,
);
log();

// ---------------------------------------------------------------- 2. Global optimum
interface Case {
  name: string;
  x: Float64Array;
  p: number;
  q: number;
  dist: DistName;
}
function simulated(
  name: string,
  n: number,
  params: GarchParams,
  dist: DistName,
  seed: number,
): Case {
  const spec = checkSpec({ p: params.alpha.length, q: params.beta.length, dist });
  return { name, x: simulate(spec, params, n, { seed }).returns, p: spec.p, q: spec.q, dist };
}
const cases: Case[] = [
  simulated(
    "sim n=500 weak",
    500,
    { mu: 0.02, omega: 0.5, alpha: [0.05], beta: [0.5] },
    "normal",
    11,
  ),
  simulated("sim n=1000", 1000, { mu: 0.05, omega: 0.1, alpha: [0.1], beta: [0.8] }, "normal", 12),
  simulated(
    "sim n=2000 (2,1)",
    2000,
    { mu: 0, omega: 0.1, alpha: [0.05, 0.1], beta: [0.7] },
    "normal",
    13,
  ),
  simulated(
    "sim n=2000 (1,2)",
    2000,
    { mu: 0, omega: 0.1, alpha: [0.1], beta: [0.4, 0.4] },
    "normal",
    14,
  ),
  simulated(
    "sim n=5000 persistent",
    5000,
    { mu: 0.01, omega: 0.01, alpha: [0.05], beta: [0.94] },
    "normal",
    15,
  ),
  simulated(
    "sim n=3000 t(5)",
    3000,
    { mu: 0.03, omega: 0.05, alpha: [0.07], beta: [0.9], nu: 5 },
    "t",
    16,
  ),
  { name: "dem2gbp", x: dem, p: 1, q: 1, dist: "normal" },
  { name: "dem2gbp t", x: dem, p: 1, q: 1, dist: "t" },
  { name: "sp500dge", x: series("sp500dge.csv"), p: 1, q: 1, dist: "normal" },
  ...(["dax", "smi", "cac", "ftse"] as const).map(
    (c): Case => ({
      name: `eustocks ${c}`,
      x: series("eustocks.csv", c),
      p: 1,
      q: 1,
      dist: "normal",
    }),
  ),
  { name: "eustocks dax t", x: series("eustocks.csv", "dax"), p: 1, q: 1, dist: "t" },
  { name: "eustocks ftse (2,1)", x: series("eustocks.csv", "ftse"), p: 2, q: 1, dist: "normal" },
];

const TOL = 1e-6;
const optimumRows = cases.map((c) => {
  // fGarch and tseries bound only positivity, not sum(alpha) + sum(beta) < 1: same constraints.
  const options: GarchOptions = { p: c.p, q: c.q, dist: c.dist, init: "fcp", stationarity: false };
  const mine = fit(c.x, options);
  const row = {
    series: c.name,
    model: `(${c.p},${c.q}) ${c.dist}`,
    ours: mine.logLikelihood,
    converged: mine.converged,
    fgarch: Number.NaN,
    fgarchMessage: "",
    oursZeroMean: Number.NaN,
    tseries: Number.NaN,
    pass: true,
  };
  if (!hasR) return row;
  const spec = mine.spec;
  const [fg] = runR(c.x, c.p, c.q, c.dist, 0, "fgarch");
  if (fg) {
    const params: GarchParams = {
      mu: fg.params.mu,
      omega: fg.params.omega,
      alpha: arr(fg.params.alpha),
      beta: arr(fg.params.beta),
      ...(c.dist === "t" ? { nu: fg.params.nu } : {}),
    };
    row.fgarch = logLikelihood(c.x, spec, params);
    row.fgarchMessage = fg.message ?? "";
  }
  if (c.dist === "normal") {
    // tseries has no mean term: compare on demeaned data with a zero mean, one convention.
    const m = c.x.reduce((a, b) => a + b, 0) / c.x.length;
    const xd = c.x.map((v) => v - m);
    const zeroFit = fit(xd, { ...options, mean: "zero" });
    row.oursZeroMean = zeroFit.logLikelihood;
    const [ts] = runR(xd, c.p, c.q, c.dist, 0, "tseries");
    if (ts) {
      row.tseries = logLikelihood(xd, zeroFit.spec, {
        omega: ts.params.omega,
        alpha: arr(ts.params.alpha),
        beta: arr(ts.params.beta),
      });
    }
  }
  const beaten = (theirs: number, mineLL: number) =>
    Number.isFinite(theirs) && theirs > mineLL + TOL;
  row.pass =
    mine.converged && !beaten(row.fgarch, row.ours) && !beaten(row.tseries, row.oursZeroMean);
  return row;
});
log(
  "2. Global optimum: our log-likelihood vs R's, every tool's parameters evaluated by our likelihood",
);
log(
  "   (init fcp; positivity constraints only, as fGarch and tseries impose; ok = ours ≥ theirs − 1e-6)",
);
if (!hasR) log("   (Rscript with fGarch and tseries not found: R columns skipped)");
const d4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "–");
const gap = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) ? (a - b).toExponential(1) : "–";
log(
  table([
    [
      "series",
      "model",
      "ours",
      "fGarch",
      "ours − fGarch",
      "ours (zero mean)",
      "tseries",
      "ours − tseries",
      "ok",
    ],
    ...optimumRows.map((r) => [
      r.series,
      r.model,
      d4(r.ours) + (r.converged ? "" : " (not converged)"),
      d4(r.fgarch),
      gap(r.ours, r.fgarch),
      d4(r.oursZeroMean),
      d4(r.tseries),
      gap(r.oursZeroMean, r.tseries),
      r.pass ? "yes" : "NO",
    ]),
  ]),
);
const fgarchMessages = new Map<string, number>();
for (const r of optimumRows) {
  if (r.fgarchMessage)
    fgarchMessages.set(r.fgarchMessage, (fgarchMessages.get(r.fgarchMessage) ?? 0) + 1);
}
if (fgarchMessages.size > 0) {
  const said = [...fgarchMessages].map(([m, count]) => `"${m}" on ${count}`).join(", ");
  log(`   fGarch's optimiser (nlminb) said ${said} of ${optimumRows.length} series.`);
}
log();

// ---------------------------------------------------------------- 3. Speed
const sizes = quick ? [2000, 10000] : [2000, 5000, 10000, 20000, 50000, 100000];
const ARCH_QUOTED: Record<number, number> = { 2000: 11, 100000: 190 };
/** arch at any length, linear in n through the two quoted figures (the bar is 10x faster). */
const archLinear = (n: number) => 11 + ((190 - 11) * (n - 2000)) / (100000 - 2000);
const speedSpec = checkSpec({ p: 1, q: 1 });
const speedRows = sizes.map((n) => {
  const x = simulate(speedSpec, { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, n, {
    seed: n,
  }).returns;
  const reps = n <= 10_000 ? 31 : n <= 20_000 ? 21 : 11;
  // Warm-up, as the R side warms up too: until this length's code paths are compiled (at least
  // 3 fits and 300 ms; one fit left n = 20,000 at 5.6 ms where a warm process takes 3.7-4).
  for (let i = 0, t0 = performance.now(); i < 30 && (i < 3 || performance.now() - t0 < 300); i++) {
    fit(x);
  }
  const times: number[] = [];
  let converged = true;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    converged &&= fit(x).converged;
    times.push(performance.now() - t0);
  }
  const oursMs = median(times);
  let tseriesMs = Number.NaN;
  let fgarchMs = Number.NaN;
  if (hasR) {
    const [ts] = runR(x, 1, 1, "normal", n <= 20_000 ? 9 : 3, "tseries");
    tseriesMs = ts?.fit_ms ?? Number.NaN;
    const [fg] = runR(x, 1, 1, "normal", n <= 10_000 ? 3 : 1, "fgarch");
    fgarchMs = fg?.fit_ms ?? Number.NaN;
  }
  return {
    n,
    oursMs,
    converged,
    tseriesMs,
    fgarchMs,
    archQuotedMs: ARCH_QUOTED[n] ?? Number.NaN,
    archLinearMs: archLinear(n),
  };
});
log(
  "3. Speed: GARCH(1,1), constant mean, Normal, full fit incl. standard errors, in-process medians (ms)",
);
log(
  table([
    [
      "n",
      "ours",
      "tseries",
      "tseries / ours",
      "fGarch",
      "fGarch / ours",
      "arch (quoted)",
      "arch / ours",
      "arch (linear)",
      "arch (linear) / ours",
    ],
    ...speedRows.map((r) => [
      String(r.n),
      fmt(r.oursMs, 3) + (r.converged ? "" : " (not converged)"),
      fmt(r.tseriesMs, 2),
      fmt(r.tseriesMs / r.oursMs, 1),
      fmt(r.fgarchMs, 0),
      fmt(r.fgarchMs / r.oursMs, 0),
      Number.isFinite(r.archQuotedMs) ? String(r.archQuotedMs) : "–",
      Number.isFinite(r.archQuotedMs) ? fmt(r.archQuotedMs / r.oursMs, 1) : "–",
      fmt(r.archLinearMs, 1),
      fmt(r.archLinearMs / r.oursMs, 1),
    ]),
  ]),
);
log(
  "   arch: not installable here (not in Debian, PyPI unreachable); figures quoted from the issue, measured on this kind of machine.",
);
log(
  "   arch (linear): interpolated linearly in n between the two quoted figures (11 ms at 2,000, 190 ms at 100,000); the bar is arch / ours ≥ 10 at every length.",
);

rmSync(work, { recursive: true, force: true });
if (asJson) {
  process.stdout.write(
    `${JSON.stringify({ fcp: fcpResult, optimum: optimumRows, speed: speedRows })}\n`,
  );
}
