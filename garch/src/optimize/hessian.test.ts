import { describe, expect, it } from "vitest";
import { buildModel } from "../likelihood.js";
import { simulate } from "../simulate.js";
import { checkSpec } from "../spec.js";
import type { GarchOptions } from "../types.js";
import { opgAt } from "./hessian.js";

const x = simulate(checkSpec({}), { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, 600, {
  seed: 5,
}).returns;

describe("opgAt", () => {
  it.each([{ mean: "constant" }, { mean: "zero" }, { init: "ewma" }] as GarchOptions[])(
    "gives from the fused pass the outer product of the general pass's scores: %j",
    (o) => {
      const spec = checkSpec(o);
      const model = buildModel(x, spec);
      expect(model.fused).toBe(true);
      const k = model.layout.k;
      const theta = Float64Array.from({ length: k }, (_, i) => [0.01, 0.04, 0.1, 0.85][4 - k + i]!);
      const fused = opgAt(model, theta);
      const general = opgAt({ ...model, fused: false }, theta);
      for (let i = 0; i < k * k; i++) {
        expect(Math.abs(fused[i]! - general[i]!)).toBeLessThan(1e-10 * Math.abs(general[i]!));
      }
    },
  );
});
