/**
 * The prod stack with `serving.trafficSplit: nginx-canary` under mocks: today's Ingress pair with
 * its annotations exactly, HTTPS from the Key Vault certificate through the routing add-on (its
 * identity, the DNS zone attached to it), and no Gateway API objects.
 */
import { registered, validateObject } from "@mlops/k8s/test-support";
import { describe, expect, it } from "vitest";
import { expectArmsAssignedBy, ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";

const KEY = "mlops-platform:serving";
const prod = stackFileConfig();
const serving = { ...JSON.parse(prod[KEY]!), trafficSplit: "nginx-canary" };

renderBeforeAll("prod", { ...prod, [KEY]: JSON.stringify(serving) });

const ingress = (name: string) =>
  ofType("kubernetes:networking.k8s.io/v1:Ingress").find((r) => r.inputs.metadata.name === name)!;
const CERTIFICATE =
  "https://kv-contoso-certs.vault.azure.net/certificates/predict-mlops-contoso-com";

describe("the prod stack on the NGINX canary split", () => {
  it("renders the stable and canary Ingresses and no Gateway API objects, all valid", () => {
    // The API's pair, and the GARCH service's on its own host (its canary at weight 0).
    expect(
      ofType("kubernetes:networking.k8s.io/v1:Ingress")
        .map((r) => r.inputs.metadata.name)
        .sort(),
    ).toEqual([
      "garch-route-canary",
      "garch-route-stable",
      "serving-ingress-canary",
      "serving-ingress-stable",
    ]);
    expect(registered.filter((r) => r.type.includes("gateway.networking.k8s.io"))).toEqual([]);
    for (const r of registered.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect(() => validateObject(r.type, r.inputs), r.name).not.toThrow();
    }
  });

  it("keeps today's canary annotations exactly", () => {
    expect(ingress("serving-ingress-canary").inputs.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/affinity": "cookie",
      "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
      "nginx.ingress.kubernetes.io/session-cookie-name": "mlops-arm",
      "nginx.ingress.kubernetes.io/affinity-canary-behavior": "sticky",
      "nginx.ingress.kubernetes.io/canary": "true",
      "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
      "nginx.ingress.kubernetes.io/canary-weight": String(serving.canaryWeight),
    });
  });

  it("serves the host with the Key Vault certificate on the stable Ingress", () => {
    const stable = ingress("serving-ingress-stable").inputs;
    expect(stable.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/affinity": "cookie",
      "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
      "nginx.ingress.kubernetes.io/session-cookie-name": "mlops-arm",
      "nginx.ingress.kubernetes.io/affinity-canary-behavior": "sticky",
      "kubernetes.azure.com/tls-cert-keyvault-uri": CERTIFICATE,
    });
    // The add-on syncs the certificate into `keyvault-<ingress name>` (AKS docs app-routing-dns-ssl).
    expect(stable.spec.tls).toEqual([
      { hosts: ["predict.mlops.contoso.com"], secretName: "keyvault-serving-ingress-stable" },
    ]);
  });

  it("attaches the zone to the routing add-on and grants its identity the zone and the certificate", () => {
    const routing = one("azure-native:resources:Resource", "aks-cluster").inputs.properties
      .ingressProfile;
    expect(routing).toEqual({
      gatewayAPI: { installation: "Disabled" },
      webAppRouting: {
        enabled: true,
        dnsZoneResourceIds: [serving.tls.dnsZoneId],
        nginx: { defaultIngressControllerType: "AnnotationControlled" },
        gatewayAPIImplementations: { appRoutingIstio: { mode: "Disabled" } },
      },
    });
    const grant = (name: string) => one("azure-native:authorization:RoleAssignment", name).inputs;
    expect(grant("app-routing-dns-writer")).toMatchObject({
      scope: serving.tls.dnsZoneId,
      principalId: "aks-cluster-app-routing-object-id",
    });
    expect(grant("app-routing-certificate-reader")).toMatchObject({
      scope: serving.tls.certificateVaultId,
      principalId: "aks-cluster-app-routing-object-id",
    });
    expect(
      ofType("azure-native:managedidentity:UserAssignedIdentity").map((r) => r.name),
    ).not.toContain("identity-edge");
  });

  it("tells each arm's pods that the nginx-canary split assigns them, at the stack's weight", () => {
    expectArmsAssignedBy("nginx-canary", serving.canaryWeight);
  });
});
