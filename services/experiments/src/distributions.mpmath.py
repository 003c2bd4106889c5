# 40-digit reference values for distributions.test.ts, computed with mpmath (SciPy only for
# starting points). Reproduce with:
#   python3 services/experiments/src/distributions.mpmath.py > services/experiments/src/distributions.mpmath.json
import json

import mpmath as mp
from scipy import stats

mp.mp.dps = 60
TOL = mp.mpf(10) ** -45


def t_upper(t, df):
    """P(T > t)."""
    t, df = mp.mpf(t), mp.mpf(df)
    return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2


def t_central(t, df):
    """P(0 < T <= t)."""
    t, df = mp.mpf(t), mp.mpf(df)
    return mp.betainc(mp.mpf(1) / 2, df / 2, 0, t * t / (df + t * t), regularized=True) / 2


def t_from_tail(q, df):
    if df == 1:
        return mp.cot(mp.pi * q)
    t0 = mp.mpf(stats.t.isf(float(q), df))
    if not (t0 > 0 and mp.isfinite(t0)):
        t0 = mp.mpf(stats.norm.isf(float(q)))
    f = lambda u: mp.log(t_upper(mp.exp(u), df)) - mp.log(q)
    lo, hi = mp.log(t0) - mp.mpf("0.5"), mp.log(t0) + mp.mpf("0.5")
    while f(lo) < 0:
        lo -= 1
    while f(hi) > 0:
        hi += 1
    return mp.exp(mp.findroot(f, (lo, hi), solver="anderson", tol=TOL))


def t_from_central(d, df):
    df = mp.mpf(df)
    density = mp.gamma((df + 1) / 2) / mp.sqrt(df * mp.pi) / mp.gamma(df / 2)
    return mp.findroot(lambda t: t_central(t, df) / d - 1, d / density, tol=TOL)


DFS = [1, 1.5, 2.7, 10, 33.3, 1e3, 10000.5, 1e6, 1e9, 1e10, 3e11]
# Lower-tail probabilities p of tQuantile(p, df); near 0.5 the reference solves for 0.5 − p.
PS = [1e-300, 1e-30, 1e-12, 1e-6, 0.025, 0.2, 0.45, 0.499, 0.49999999, 0.49999999999999]
CONFIDENCES = [1e-14, 1e-7, 0.004, 0.5, 0.95, 1 - 1e-10, 1 - 2e-12]
# Chi-squared: degrees of freedom and upper-tail probabilities (x from SciPy, the tail at that x
# from mpmath).
KS = [1, 1.5, 2, 3, 7, 15, 16.5, 40, 99, 129]
SFS = [1e-300, 1e-100, 1e-12, 1e-3, 0.05, 0.5, 0.999999]

out = {"tQuantile": [], "tCritical": [], "chiSquareSf": []}
for df in DFS:
    for p in PS:
        q = mp.mpf(p)
        t = t_from_central(mp.mpf("0.5") - q, df) if p > 0.4 else t_from_tail(q, df)
        out["tQuantile"].append({"df": df, "p": p, "q": float(-t)})
    for c in CONFIDENCES:
        conf = mp.mpf(c)
        t = t_from_central(conf / 2, df) if c < 0.5 else t_from_tail((1 - conf) / 2, df)
        out["tCritical"].append({"df": df, "confidence": c, "t": float(t)})
for k in KS:
    for sf in SFS:
        x = float(stats.chi2.isf(sf, k))
        ref = mp.gammainc(mp.mpf(k) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)
        out["chiSquareSf"].append({"k": k, "x": x, "sf": float(ref)})
print(json.dumps(out, indent=1))
