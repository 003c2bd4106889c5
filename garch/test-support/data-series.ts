/** The data sets in `garch/data` for tests: a one-column CSV (a header, then one number a line). */
import { readFileSync } from "node:fs";

/** The numbers of `garch/data/<file>`, in file order. */
export function dataSeries(file: string): number[] {
  return readFileSync(new URL(`../data/${file}`, import.meta.url), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map(Number);
}
