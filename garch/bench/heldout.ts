/**
 * `pnpm bench:garch-heldout`: GARCH(2,1), (1,2) and (2,2), constant mean, Normal, init fcp and
 * ewma, positivity bounds only (`--stationarity off`), on 15 series: the six real ones in
 * data/ (dem2gbp, the S&P 500 1928-1991, the DAX, SMI, CAC and FTSE) and nine simulated (zero
 * coefficients, near-unit persistence, t shocks, n up to 17,055). 90 fits, each compared with an
 * independent reference: scipy's L-BFGS-B from 40 random starts (20 on the two longest series)
 * on its own implementation of the likelihood (heldout-reference.py), whose parameters are then
 * evaluated with ours. A fit passes when it converged and its log-likelihood is within 1e-4 of
 * the better of the two. Needs /usr/bin/python3 with scipy (Debian: python3-scipy).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { table } from "../cli/report.js";
import { readSeries } from "../io/csv.js";
import { checkSpec, fit, type GarchParams, logLikelihood, simulate } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const data = (file: string, column?: string) =>
  readSeries(readFileSync(join(here, "../data", file), "utf8"), column).values;
const sim = (n: number, params: GarchParams, dist: "normal" | "t", seed: number) => {
  const spec = checkSpec({ p: params.alpha.length, q: params.beta.length, dist });
  return simulate(spec, params, n, { seed }).returns;
};

const series: [string, Float64Array][] = [
  ["dem2gbp", data("dem2gbp.csv")],
  ["sp500dge", data("sp500dge.csv")],
  ...(["dax", "smi", "cac", "ftse"] as const).map((c): [string, Float64Array] => [
    c,
    data("eustocks.csv", c),
  ]),
  [
    "sim (2,1)",
    sim(2000, { mu: 0.01, omega: 0.08, alpha: [0.04, 0.11], beta: [0.72] }, "normal", 101),
  ],
  [
    "sim (1,2)",
    sim(3000, { mu: 0, omega: 0.05, alpha: [0.12], beta: [0.45, 0.38] }, "normal", 102),
  ],
  [
    "sim (2,2)",
    sim(5000, { mu: 0.02, omega: 0.04, alpha: [0.07, 0.05], beta: [0.35, 0.5] }, "normal", 103),
  ],
  [
    "sim alpha2 = 0",
    sim(4000, { mu: 0.03, omega: 0.05, alpha: [0.1, 0], beta: [0.5, 0.35] }, "normal", 104),
  ],
  [
    "sim beta1 = 0",
    sim(3000, { mu: 0, omega: 0.06, alpha: [0.1, 0.05], beta: [0, 0.8] }, "normal", 105),
  ],
  [
    "sim near-unit",
    sim(8000, { mu: 0.02, omega: 0.005, alpha: [0.06], beta: [0.937] }, "normal", 106),
  ],
  ["sim t(5)", sim(6000, { mu: 0.05, omega: 0.03, alpha: [0.09], beta: [0.89], nu: 5 }, "t", 107)],
  [
    "sim (1,2) t(7)",
    sim(2500, { mu: 0.01, omega: 0.1, alpha: [0.12], beta: [0.6, 0.25], nu: 7 }, "t", 108),
  ],
  [
    "sim n=17,055",
    sim(17055, { mu: 0.03, omega: 0.02, alpha: [0.07], beta: [0.92] }, "normal", 109),
  ],
];

const work = mkdtempSync(join(tmpdir(), "garch-heldout-"));
const rows: string[][] = [];
let passed = 0;
let total = 0;
for (const [name, x] of series) {
  const file = join(work, "series.csv");
  writeFileSync(file, `r\n${Array.from(x, (v) => v.toPrecision(17)).join("\n")}\n`);
  for (const [p, q] of [
    [2, 1],
    [1, 2],
    [2, 2],
  ] as const) {
    for (const init of ["fcp", "ewma"] as const) {
      const options = { p, q, init, stationarity: false };
      const t0 = performance.now();
      const ours = fit(x, options);
      const ms = performance.now() - t0;
      const starts = x.length > 10_000 ? 20 : 40;
      const out = spawnSync(
        "/usr/bin/python3",
        [join(here, "heldout-reference.py"), file, String(p), String(q), init, String(starts), "7"],
        { encoding: "utf8" },
      );
      if (out.status !== 0) throw new Error(`heldout-reference.py failed: ${out.stderr}`);
      const reference = JSON.parse(out.stdout) as { params: GarchParams };
      const theirs = logLikelihood(x, ours.spec, reference.params);
      const best = Math.max(theirs, ours.logLikelihood);
      const ok = ours.converged && ours.logLikelihood >= best - 1e-4;
      total++;
      if (ok) passed++;
      rows.push([
        name,
        `(${p},${q}) ${init}`,
        ours.logLikelihood.toFixed(4),
        theirs.toFixed(4),
        (ours.logLikelihood - theirs).toExponential(1),
        ours.converged ? "yes" : "NO",
        ours.activeConstraints.map((a) => a.name).join(" ") || "–",
        ms.toFixed(0),
        ok ? "yes" : "NO",
      ]);
    }
  }
}
rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `${table([
    [
      "series",
      "model",
      "ours",
      "reference",
      "ours − reference",
      "converged",
      "on a bound",
      "ms",
      "ok",
    ],
    ...rows,
  ])}\n${passed} of ${total} fits converged within 1e-4 of the best log-likelihood (bar: all).\n`,
);
