/**
 * Python's arch for `pnpm bench:garch`'s speed section (arch-speed.py), measured side by side
 * when a source tree of arch with compiled recursions is named: `--arch DIR` (or `--arch=DIR`)
 * or the environment variable GARCH_BENCH_ARCH=DIR. arch is not packaged in Debian; the build
 * from source is in garch/README.md ("Python's arch for the benchmark").
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = "/usr/bin/python3";

/** One arch timing as arch-speed.py prints it. */
export interface ArchTiming {
  readonly n: number;
  readonly wall_ms: number;
  readonly cpu_ms: number;
  readonly loglik: number;
  readonly version: string;
}

/** The arch tree named on the command line or in GARCH_BENCH_ARCH, if any. */
export function archDirArg(argv: readonly string[]): string | null {
  const i = argv.indexOf("--arch");
  if (i >= 0) {
    const dir = argv[i + 1];
    if (!dir || dir.startsWith("--")) throw new Error("--arch needs a directory: --arch DIR");
    return dir;
  }
  const eq = argv.find((a) => a.startsWith("--arch="));
  if (eq) return eq.slice("--arch=".length);
  return process.env.GARCH_BENCH_ARCH || null;
}

/**
 * Times arch on the series in `file` (one column with a header) in its own Python process: the
 * median of `reps` fits after warm-up. Single-threaded BLAS, as our fits are single-threaded.
 * @throws Error naming the reason when arch cannot run from `dir` (not importable, or its
 * recursions not compiled: the pure-Python fallback is not the arch anyone runs).
 */
export function runArch(dir: string, file: string, reps: number): ArchTiming {
  const out = spawnSync(PYTHON, [join(here, "arch-speed.py"), dir, file, String(reps)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (out.status !== 0) {
    throw new Error(
      `Python's arch from ${dir} cannot run: ${(out.stderr || out.error?.message || "").trim()}`,
    );
  }
  return JSON.parse(out.stdout.trim()) as ArchTiming;
}
