#!/usr/bin/python3
"""The held-out reference of `pnpm bench:garch-heldout`: an independent multi-start maximum of a
GARCH(p,q) log-likelihood, constant mean, Normal, positivity bounds only (no stationarity).

Usage: heldout-reference.py FILE P Q INIT STARTS SEED  ->  one JSON line {params, ll}
The likelihood follows @mlops/garch's conventions (init fcp: the pre-sample value is the mean
squared residual at the current mean; ewma: arch's backcast), computed with scipy's lfilter and
an analytic gradient; scipy's L-BFGS-B runs from STARTS seeded random starts and the best end is
restarted until it gains nothing. Debian: python3-scipy (use /usr/bin/python3).
"""
import json, sys
import numpy as np
from scipy.optimize import minimize
from scipy.signal import lfilter, lfiltic

path, p, q, init, starts, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
r = np.loadtxt(path, delimiter=",", skiprows=1, usecols=0)
n = len(r)
rbar = r.mean()
var = ((r - rbar) ** 2).mean()
if init == "ewma":
    tau = min(75, n)
    w = 0.94 ** np.arange(tau)
    B_fixed = (w * (r[:tau] - rbar) ** 2).sum() / w.sum()
LOG2PI = np.log(2 * np.pi)


def negll(theta, want_grad=True):
    mu, om = theta[0], theta[1]
    al = theta[2:2 + p]
    be = theta[2 + p:2 + p + q]
    e = r - mu
    e2 = e * e
    if init == "fcp":
        B = e2.mean()
        dB = -2 * e.mean()
    else:
        B = B_fixed
        dB = 0.0
    # E_{t-i} with pre-sample B
    Epad = np.concatenate([np.full(p, B), e2])
    x = np.full(n, om)
    for i in range(1, p + 1):
        x += al[i - 1] * Epad[p - i:p - i + n]
    a = np.concatenate([[1.0], -be])
    zi = lfiltic([1.0], a, y=np.full(q, B)) if q > 0 else None
    if q > 0:
        h, _ = lfilter([1.0], a, x, zi=zi)
    else:
        h = x
    if np.any(~np.isfinite(h)) or np.any(h <= 1e-10 * var):
        return (np.inf, np.zeros_like(theta)) if want_grad else np.inf
    ll = -0.5 * (n * LOG2PI + np.log(h).sum() + (e2 / h).sum())
    if not want_grad:
        return -ll
    lh = -0.5 * (1 / h - e2 / (h * h))
    g = np.zeros(len(theta))

    def filt(inp, init_y):
        if q == 0:
            return inp
        zi_ = lfiltic([1.0], a, y=np.full(q, init_y))
        out, _ = lfilter([1.0], a, inp, zi=zi_)
        return out

    # mu: dE_s/dmu = -2 e_s (s>=0), dB (s<0); dh_s/dmu = dB for s<0
    dEpad = np.concatenate([np.full(p, dB), -2 * e])
    xm = np.zeros(n)
    for i in range(1, p + 1):
        xm += al[i - 1] * dEpad[p - i:p - i + n]
    dh_mu = filt(xm, dB)
    g[0] = (lh * dh_mu).sum() + (e / h).sum()
    g[1] = (lh * filt(np.ones(n), 0.0)).sum()
    for i in range(1, p + 1):
        g[1 + i] = (lh * filt(Epad[p - i:p - i + n], 0.0)).sum()
    hpad = np.concatenate([np.full(q, B), h])
    for j in range(1, q + 1):
        g[1 + p + j] = (lh * filt(hpad[q - j:q - j + n], 0.0)).sum()
    return -ll, -g


rng = np.random.default_rng(seed)
k = 2 + p + q
bounds = [(None, None), (1e-10 * var, None)] + [(0.0, None)] * (p + q)
results = []
def run(x0, maxiter=2000):
    res = minimize(negll, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 20})
    return res
for s in range(starts):
    pers = rng.uniform(0.5, 0.999)
    share = rng.uniform(0.02, 0.5)
    wa = rng.dirichlet(np.ones(p))
    wb = rng.dirichlet(np.ones(q)) if q > 0 else np.array([])
    A = pers * share
    Bt = pers - A
    x0 = np.concatenate([[rbar + rng.normal(0, 0.05) * np.sqrt(var)], [var * (1 - pers)], A * wa, Bt * wb])
    try:
        res = run(x0)
    except Exception:
        continue
    if np.isfinite(res.fun):
        results.append((res.fun, res.x))
results.sort(key=lambda t: t[0])
best = results[0][1]
# polish: restart from the best a few times
for _ in range(3):
    res = run(best)
    if res.fun <= results[0][0]:
        best = res.x
        results[0] = (res.fun, res.x)
f = negll(best, False)
print(json.dumps({
    "params": {"mu": best[0], "omega": best[1], "alpha": list(best[2:2 + p]), "beta": list(best[2 + p:])},
    "ll": -f,
    "starts": len(results),
}))
