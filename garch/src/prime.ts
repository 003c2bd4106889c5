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
 * the Hessian with and without the outer product of the scores, the grid's four likelihoods,
 * the renormalisation of the running product of variances (values near 1e6, so the product
 * leaves [1e-100, 1e100] within the series) and the exit when a variance leaves its bounds.
 * (The kernels have no other modes: code no fit runs would only weigh on the optimised loop.)
 * It costs well under a millisecond, once per process.
 */
import { buildModel, evaluate, evaluateHessian, logLikelihoods } from "./likelihood.js";
import { checkSpec } from "./spec.js";

/** Primes the kernels; `fit.ts` calls it once as it loads. */
export function primeKernels(): void {
  const r = Float64Array.from({ length: 24 }, (_, t) => (t % 3 === 0 ? -1.7e6 : 0.9e6) + 1e3 * t);
  for (const mean of ["constant", "zero"] as const) {
    const spec = checkSpec({ mean });
    const model = buildModel(r, spec);
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
    logLikelihoods(model, [theta, at(0.3, 0.2, 0.5), at(0.05, 0.05, 0.9)]);
    // A variance past the soft ceiling: the kernels' early exit.
    const explosive = at(1e9, 50, 50);
    evaluate(model, explosive);
    evaluateHessian(model, explosive, grad, hess, null);
    logLikelihoods(model, [explosive]);
  }
}
