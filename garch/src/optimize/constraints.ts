/** The constraints a parameter vector θ must satisfy. */
import { type Model, persistence } from "../likelihood.js";

/** Whether θ satisfies the constraints (strictly, for omega and the shapes). */
export function feasible(model: Model, theta: ArrayLike<number>): boolean {
  const { layout, spec, dist } = model;
  if (layout.omega >= 0 && !(theta[layout.omega]! > 0)) return false;
  for (let i = layout.alpha; i < layout.shape; i++) if (!(theta[i]! >= 0)) return false;
  if (spec.stationarity && !(persistence(layout, theta) < 1)) return false;
  for (let s = 0; s < layout.nShape; s++) {
    const [a, b] = dist.shapeBounds[s]!;
    const v = theta[layout.shape + s]!;
    if (!(v > a && v < b)) return false;
  }
  return true;
}
