/**
 * A `promote` decision applied through `mlops release plan --apply` on a stack whose traffic
 * split is the Gateway API: the program rendered from the released stack config sends every
 * request to the champion, which now runs the promoted build (issue 19's release bar).
 */

import { ofType, runProgram } from "@mlops/infra/test-support";
import { registered, validateObject } from "@mlops/k8s/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { type Released, releaseOnProdCopy } from "./support.js";

let released: Released;

beforeAll(async () => {
  released = await releaseOnProdCopy("gateway", "promote");
  await runProgram("prod", released.config);
}, 120_000);

describe("promote through mlops release plan --apply, gateway split", () => {
  it("applies the plan with the Pulumi CLI", () => {
    expect(released.exit.code, released.exit.stderr).toBe(0);
    expect(JSON.parse(released.config["mlops-platform:serving"]!)).toMatchObject({
      canaryWeight: 0,
      championImageTag: "1.5.0-rc.1",
      championModel: "classifier@13",
    });
  });

  it("renders an HTTPRoute that weights champion 100 and challenger 0, and no NGINX Ingress", () => {
    const [route] = ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").filter(
      (r) => r.inputs.metadata.name === "serving-ingress",
    );
    const weighted = route!.inputs.spec.rules.at(-1);
    expect(
      Object.fromEntries(
        weighted.backendRefs.map((b: { name: string; weight: number }) => [b.name, b.weight]),
      ),
    ).toEqual({ "serving-champion": 100, "serving-challenger": 0 });
    expect(ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
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
