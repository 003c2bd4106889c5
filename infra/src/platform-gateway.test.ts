/**
 * The traffic split of the shipped prod stack (`serving.trafficSplit: gateway`) under mocks: a
 * valid Gateway and HTTPRoute whose weights are the stack config's, TLS on the listener from the
 * Key Vault certificate, the host's DNS record, no NGINX Ingress, and the web test on the same
 * https URL the pipeline's smoke test calls.
 */

import { parseStackConfig } from "@mlops/contracts";
import { gatewayWeights } from "@mlops/k8s";
import { registered, validateObject } from "@mlops/k8s/test-support";
import { describe, expect, it } from "vitest";
import { expectArmsAssignedBy, ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";

const config = stackFileConfig();
const serving = parseStackConfig(
  { get: (k) => config[`mlops-platform:${k}`], location: () => config["azure-native:location"] },
  "mlops-platform",
).serving;

const run = renderBeforeAll("prod", config);

const routeNamed = (name: string) =>
  ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").find(
    (r) => r.inputs.metadata.name === name,
  )!;

describe("the prod stack's traffic split: Gateway API", () => {
  it("is chosen in the shipped stack config", () => {
    expect(serving.trafficSplit).toBe("gateway");
    expect(serving.tls).not.toBe("off");
  });

  it("renders a Gateway and HTTPRoute, no NGINX Ingress, every Kubernetes object valid", () => {
    // The API's, and the GARCH service's on its own host.
    expect(
      ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")
        .map((g) => g.inputs.metadata.name)
        .sort(),
    ).toEqual(["garch-route", "serving-ingress"]);
    expect(routeNamed("serving-ingress")).toBeDefined();
    expect(ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
    const objects = registered.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(25);
    for (const r of objects) {
      expect(() => validateObject(r.type, r.inputs), `${r.type} ${r.name}`).not.toThrow();
    }
  });

  it("weights the arms as the stack config says, summing to 100", () => {
    const weighted = routeNamed("serving-ingress").inputs.spec.rules.at(-1);
    const weights = weighted.backendRefs.map((b: { weight: number }) => b.weight);
    expect(weights).toEqual([100 - serving.canaryWeight, serving.canaryWeight]);
    expect(weights[0] + weights[1]).toBe(100);
    expect(gatewayWeights(serving.canaryWeight)).toEqual({
      champion: weights[0],
      challenger: weights[1],
    });
  });

  it("terminates TLS on the listener with the configured Key Vault certificate, and redirects HTTP", () => {
    const gateway = ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway").find(
      (g) => g.inputs.metadata.name === "serving-ingress",
    );
    const https = gateway!.inputs.spec.listeners.find(
      (l: { protocol: string }) => l.protocol === "HTTPS",
    );
    expect(https).toMatchObject({
      hostname: "predict.mlops.contoso.com",
      port: 443,
      tls: {
        mode: "Terminate",
        options: {
          "kubernetes.azure.com/tls-cert-keyvault-uri":
            "https://kv-contoso-certs.vault.azure.net/certificates/predict-mlops-contoso-com",
          "kubernetes.azure.com/tls-cert-service-account": "serving-ingress-edge",
        },
      },
    });
    expect(routeNamed("serving-ingress-https-redirect").inputs.spec.rules[0].filters).toEqual([
      { type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } },
    ]);
  });

  it("publishes the host in the configured zone as the edge identity", () => {
    const [dns] = ofType("kubernetes:approuting.kubernetes.azure.com/v1alpha1:ClusterExternalDNS");
    expect(dns!.inputs.spec.dnsZoneResourceIDs).toEqual([
      (serving.tls as { dnsZoneId: string }).dnsZoneId,
    ]);
    const sa = ofType("kubernetes:core/v1:ServiceAccount").find(
      (r) => r.inputs.metadata.name === "serving-ingress-edge",
    );
    expect(sa!.inputs.metadata.annotations["azure.workload.identity/client-id"]).toBe(
      "identity-edge-client-id",
    );
  });

  it("probes and exports the https URL the pipeline's smoke test calls", () => {
    expect(run.program.publicUrl).toBe("https://predict.mlops.contoso.com");
    const test = one("azure-native:applicationinsights:WebTest", "monitors-health-check").inputs;
    expect(test.request.requestUrl).toBe("https://predict.mlops.contoso.com/health/ready");
  });

  it("turns on the managed Gateway API CRDs and appRoutingIstio, and no default NGINX controller", () => {
    const cluster = one("azure-native:resources:Resource", "aks-cluster").inputs;
    expect(cluster.properties.ingressProfile).toMatchObject({
      gatewayAPI: { installation: "Standard" },
      webAppRouting: {
        nginx: { defaultIngressControllerType: "None" },
        gatewayAPIImplementations: { appRoutingIstio: { mode: "Enabled" } },
      },
    });
    expect(cluster.properties.addonProfiles.azureKeyvaultSecretsProvider.enabled).toBe(true);
  });

  it("tells each arm's pods that the gateway split assigns them, at the stack's weight", () => {
    expectArmsAssignedBy("gateway", serving.canaryWeight);
  });
});
