/**
 * Runs every path of the fused GARCH(1,1) kernels once, at load, on a 24-observation series:
 * type feedback for all their code before V8 can optimise them.
 *
 * Why: V8 optimises a long loop while it runs (on-stack replacement, OSR), in the middle of
 * the first long pass over a series. Code after the loop, or a branch the loop has not taken
 * yet, then has no type feedback, and the optimised code deoptimises when it gets there. Node
 * 20's V8 keeps that OSR code cached and enters it again on the next pass, which deoptimises at
 * the same place: in some processes every fit then runs half-interpreted, 4x slower, for as
 * long as the process lives (seen with --trace-deopt: the same code object deoptimising with
 * "Insufficient type feedback" on every call; which processes are hit depends on when the
 * background compiler finishes, so fits of one series were fast in some processes and slow in
 * others). With feedback for every operation before the first compile, nothing is left to
 * deoptimise on. The series is built so that each path a fit uses runs: both means, the value,
 * the gradient alone, the Hessian with and without the outer product of the scores, the grid's
 * four likelihoods, the renormalisation of the running product of variances (values near 1e6,
 * so the product leaves [1e-100, 1e100] within the series) and the exit when a variance leaves
 * its bounds.
 * (The kernels have no other modes: code no fit runs would only weigh on the optimised loop.)
 * It costs well under a millisecond, once per process.
 */
import {
  buildModel,
  evaluate,
  evaluateGradient,
  evaluateHessian,
  headModel,
  logLikelihoods,
} from "./likelihood.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { GarchOptions } from "./types.js";

/** Primes the kernels; `fit.ts` calls it once as it loads. */
export function primeKernels(): void {
  const r = Float64Array.from({ length: 24 }, (_, t) => (t % 3 === 0 ? -1.7e6 : 0.9e6) + 1e3 * t);
  for (const mean of ["constant", "zero"] as const) {
    const spec = checkSpec({ mean });
    const model = buildModel(r, spec);
    // A leading block in the model's arrays (long fits build them): buildModel's other branch,
    // which otherwise first runs after its loops were compiled on the stack (seen deoptimising).
    headModel(model, 12);
    const k = model.layout.k;
    const o = k - 3;
    const at = (omega: number, alpha: number, beta: number) => {
      const theta = new Float64Array(k);
      if (o) theta[0] = 1e3;
      theta[o] = omega * model.variance;
      theta[o + 1] = alpha;
      theta[o + 2] = beta;
      return theta;
    };
    const theta = at(0.1, 0.1, 0.8);
    const grad = new Float64Array(k);
    const hess = new Float64Array(k * k);
    evaluate(model, theta);
    evaluateHessian(model, theta, grad, hess, null);
    evaluateHessian(model, theta, grad, hess, new Float64Array(k * k));
    evaluateGradient(model, theta, grad);
    logLikelihoods(model, [theta, at(0.3, 0.2, 0.5), at(0.05, 0.05, 0.9)]);
    // A variance past the soft ceiling: the kernels' early exit.
    const explosive = at(1e9, 50, 50);
    evaluate(model, explosive);
    evaluateHessian(model, explosive, grad, hess, null);
    evaluateGradient(model, explosive, grad);
    logLikelihoods(model, [explosive]);
  }
}

/** Length of the series `primeFitPath` fits: a grid, two Newton runs and the standard errors. */
const PRIMING_LENGTH = 200;

/**
 * Runs `fitOnce`, the GARCH(1,1) fit path, on a short simulated series with each mean that path
 * has a fused kernel for; `fit.ts` calls it once, before the first fit.
 *
 * Why: the same OSR trap as the kernels' (see above), in the code around them. Every O(n) loop
 * on the way (the series check, the least-squares mean start, the fit's residual mean square)
 * is followed by code that a first fit of a long series reaches only after V8 has compiled the
 * loop on the stack; that code then deoptimised on every later fit of the process, in some
 * processes and not others (`--trace-deopt`: `meanStart` deoptimising 31 times in 31 timed
 * fits of dem2gbp, "Insufficient type feedback for call", in one process of four, whose fits
 * took 1.6x the others' CPU time; `fit` itself at n = 20,000). A whole fit of a short series
 * first leaves feedback everywhere on the path. It adds about 7 ms to a process's first fit.
 */
export function primeFitPath(fitOnce: (x: Float64Array, options: GarchOptions) => void): void {
  const params = { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] };
  const x = simulate(checkSpec({}), params, PRIMING_LENGTH, { seed: 1 }).returns;
  fitOnce(x, {});
  fitOnce(x, { mean: "zero" });
}
