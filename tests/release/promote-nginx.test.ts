/**
 * A `promote` decision applied through `mlops release plan --apply` on a stack whose traffic
 * split is the NGINX canary pair: the program rendered from the released stack config sends every
 * request to the champion, which now runs the promoted build (issue 19's release bar).
 */

import { ofType, runProgram } from "@mlops/infra/test-support";
import { registered, validateObject } from "@mlops/k8s/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { type Released, releaseOnProdCopy } from "./support.js";

let released: Released;

beforeAll(async () => {
  released = await releaseOnProdCopy("nginx-canary", "promote");
  await runProgram("prod", released.config);
}, 120_000);

describe("promote through mlops release plan --apply, nginx-canary split", () => {
  it("applies the plan with the Pulumi CLI", () => {
    expect(released.exit.code, released.exit.stderr).toBe(0);
    expect(JSON.parse(released.config["mlops-platform:serving"]!)).toMatchObject({
      canaryWeight: 0,
      championImageTag: "1.5.0-rc.1",
      championModel: "classifier@13",
    });
  });

  it("renders a canary Ingress at weight 0 (the stable Ingress takes the other 100) and no Gateway", () => {
    const ingresses = ofType("kubernetes:networking.k8s.io/v1:Ingress");
    const canary = ingresses.find((r) => r.inputs.metadata.name === "serving-ingress-canary");
    const stable = ingresses.find((r) => r.inputs.metadata.name === "serving-ingress-stable");
    expect(canary!.inputs.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]).toBe(
      "0",
    );
    expect(stable!.inputs.spec.rules[0].http.paths[0].backend.service.name).toBe(
      "serving-champion",
    );
    expect(ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")).toEqual([]);
  });

  it("runs the promoted build as the champion, and every object stays valid", () => {
    const champion = ofType("kubernetes:apps/v1:Deployment").find(
      (d) => d.inputs.metadata.name === "serving-champion",
    );
    expect(champion!.inputs.spec.template.spec.containers[0].image).toMatch(/:1\.5\.0-rc\.1$/);
    for (const r of registered.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect(() => validateObject(r.type, r.inputs), r.name).not.toThrow();
    }
  });
});
