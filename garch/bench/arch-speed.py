#!/usr/bin/python3
"""Python's arch, timed for `pnpm bench:garch`: GARCH(1,1), constant mean, Normal,
`arch_model(y).fit(disp="off")`, in this process after untimed warm-up fits.

Usage: arch-speed.py ARCH_DIR FILE.csv REPS  ->  one JSON line {n, wall_ms, cpu_ms, loglik, version}
  ARCH_DIR  a source tree of arch (the directory holding the `arch` package) whose recursions
            are compiled (arch/univariate/recursions*.so); see garch/README.md for the build.
  FILE.csv  one column of returns with a header
  REPS      timed fits; the medians of their wall and CPU (process) times are reported
Exits with status 2 and a message on stderr when arch cannot be imported from ARCH_DIR or its
recursions are the pure-Python fallback (far slower: not the arch anyone runs).
Debian: python3-numpy python3-scipy python3-pandas python3-statsmodels (use /usr/bin/python3).
"""
import json
import statistics
import sys
import time
import warnings

arch_dir, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, arch_dir)
try:
    import numpy as np
    import arch
    import arch.univariate.recursions as recursions
    from arch import arch_model
except ImportError as error:
    print(f"arch not importable from {arch_dir}: {error}", file=sys.stderr)
    sys.exit(2)
if not recursions.__file__.endswith(".so"):
    print(f"arch's recursions are not compiled ({recursions.__file__})", file=sys.stderr)
    sys.exit(2)

y = np.loadtxt(path, delimiter=",", skiprows=1, usecols=0)
warnings.simplefilter("ignore")  # arch's DataScaleWarning: the series are used as they are


def one():
    return arch_model(y).fit(disp="off")


# Warm-up: imports, first calls and caches, as the R reference and our workers warm up.
start = time.perf_counter()
for _ in range(3):
    res = one()
while time.perf_counter() - start < 0.25:
    res = one()
wall, cpu = [], []
for _ in range(reps):
    c0 = time.process_time()
    t0 = time.perf_counter()
    res = one()
    wall.append((time.perf_counter() - t0) * 1000)
    cpu.append((time.process_time() - c0) * 1000)
print(
    json.dumps(
        {
            "n": len(y),
            "wall_ms": statistics.median(wall),
            "cpu_ms": statistics.median(cpu),
            "loglik": float(res.loglikelihood),
            "version": arch.__version__,
        }
    )
)
