/**
 * A `promote` decision applied through `mlops release plan --apply` on a stack whose traffic
 * split is the Gateway API: the program rendered from the released stack config sends every
 * request to the champion, which now runs the promoted build (issue 19's release bar).
 */
import { ofType } from "@mlops/infra/test-support";
import { expect } from "vitest";
import { describePromote } from "./support.js";

describePromote("gateway", () => {
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
