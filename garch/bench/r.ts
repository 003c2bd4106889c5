/**
 * R's fGarch and tseries for `pnpm bench:garch` (Rscript reference.R), run when Rscript with
 * both packages is installed (Debian: r-base-core r-cran-fgarch r-cran-tseries r-cran-jsonlite).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DistName } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));

/** One tool's fit as reference.R prints it. */
export interface RFit {
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

export const hasR =
  spawnSync("Rscript", [
    "-e",
    "suppressMessages({library(fGarch);library(tseries);library(jsonlite)})",
  ]).status === 0;

/** Writes `x` as one column with a header into `work` (the file reference.R and arch read). */
export function writeSeries(work: string, x: Float64Array, tag: string): string {
  const file = join(work, `series-${x.length}-${tag}.csv`);
  writeFileSync(file, `r\n${Array.from(x, (v) => v.toPrecision(17)).join("\n")}\n`);
  return file;
}

/** Fits `x` with the R tools named in `tools` ("fgarch", "tseries" or both, comma-separated). */
export function runR(
  work: string,
  x: Float64Array,
  p: number,
  q: number,
  dist: DistName,
  reps: number,
  tools: string,
): RFit[] {
  const file = writeSeries(work, x, `${p}${q}`);
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

/** A coefficient list as R prints it (a scalar for one lag). */
export const arr = (v: number[] | number) => (Array.isArray(v) ? v : [v]);
