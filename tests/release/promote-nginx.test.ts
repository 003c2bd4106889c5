/**
 * A `promote` decision applied through `mlops release plan --apply` on a stack whose traffic
 * split is the NGINX canary pair: the canary Ingress goes to weight 0, so the stable Ingress sends
 * every request to the champion, which now runs the promoted build (issue 19's release bar).
 */
import { ofType } from "@mlops/infra/test-support";
import { expect } from "vitest";
import { describePromote } from "./support.js";

describePromote("nginx-canary", () => {
  const ingresses = ofType("kubernetes:networking.k8s.io/v1:Ingress");
  const canary = ingresses.find((r) => r.inputs.metadata.name === "serving-ingress-canary");
  const stable = ingresses.find((r) => r.inputs.metadata.name === "serving-ingress-stable");
  expect(canary!.inputs.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]).toBe(
    "0",
  );
  expect(stable!.inputs.spec.rules[0].http.paths[0].backend.service.name).toBe("serving-champion");
  expect(ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")).toEqual([]);
});
