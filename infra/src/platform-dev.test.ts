import { registered } from "@mlops/k8s/test-support";
import { describe, expect, it } from "vitest";
import { stackViolations, violations } from "../policy/rules.js";
import { ofType, one, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";

/**
 * The same program on the dev stack (test-support/Pulumi.dev.yaml): public endpoints instead of private
 * networking, serverless Cosmos DB. platform.test.ts covers prod; this checks the other branches.
 */
renderBeforeAll(
  "dev",
  stackFileConfig(new URL("../test-support/Pulumi.dev.yaml", import.meta.url)),
);

describe("the dev program (public endpoints, serverless Cosmos DB) under mocks", () => {
  it("creates no private endpoints, private DNS zones or zone links", () => {
    for (const type of [
      "azure-native:network:PrivateEndpoint",
      "azure-native:network:PrivateDnsZoneGroup",
      "azure-native:privatedns:PrivateZone",
      "azure-native:privatedns:VirtualNetworkLink",
    ]) {
      expect(ofType(type), type).toEqual([]);
    }
    // The endpoints subnet is still carved out, so turning private networking on later is in place.
    expect(ofType("azure-native:network:Subnet")).toHaveLength(3);
  });

  it("leaves the data services reachable on their public endpoints", () => {
    const props = (type: string, name: string) => one(type, name).inputs;
    const vault = props("azure-native:keyvault:Vault", "vault-kv").properties as {
      publicNetworkAccess: string;
      networkAcls: { defaultAction: string };
    };
    expect(
      props("azure-native:containerregistry:Registry", "registry-acr").publicNetworkAccess,
    ).toBe("Enabled");
    expect(vault.publicNetworkAccess).toBe("Enabled");
    expect(vault.networkAcls.defaultAction).toBe("Allow");
    expect(
      props("azure-native:cosmosdb:DatabaseAccount", "cosmos-account").publicNetworkAccess,
    ).toBe("Enabled");
  });

  it("runs Cosmos DB serverless, with no throughput settings anywhere", () => {
    const account = one("azure-native:cosmosdb:DatabaseAccount", "cosmos-account").inputs;
    expect(account.capabilities).toEqual([{ name: "EnableServerless" }]);
    // Serverless accounts are single-region and cannot be zone redundant.
    expect(account.locations).toEqual([
      { locationName: "westeurope", failoverPriority: 0, isZoneRedundant: false },
    ]);
    expect(one("azure-native:cosmosdb:SqlResourceSqlDatabase", "cosmos-db").inputs.options).toBe(
      undefined,
    );
    for (const c of ofType("azure-native:cosmosdb:SqlResourceSqlContainer")) {
      expect(c.inputs.options, c.name).toBe(undefined);
    }
  });

  it("runs no GARCH service and calls no webhook when the stack configures none", () => {
    expect(ofType("mlops:k8s:GarchService")).toEqual([]);
    expect(ofType("kubernetes:apps/v1:Deployment")).toHaveLength(2);
    expect(
      one("azure-native:monitor:ActionGroup", "telemetry-oncall").inputs.webhookReceivers,
    ).toEqual([]);
  });

  it("breaks none of the policies", () => {
    expect(registered.length).toBeGreaterThan(50);
    expect(violations(policyResources())).toEqual([]);
    expect(stackViolations(policyResources())).toEqual([]);
  });

  it("makes the API server private when the stack says so", () => {
    const aks = one("azure-native:resources:Resource", "aks-cluster").inputs;
    expect(aks.properties.apiServerAccessProfile).toEqual({
      enablePrivateCluster: true,
      privateDNSZone: "system",
      enablePrivateClusterPublicFQDN: false,
    });
  });

  it("names the estate for the dev stack and its serving namespace", () => {
    const aks = one("azure-native:resources:Resource", "aks-cluster").inputs;
    expect(aks.resourceName).toMatch(/^aks-dev-/);
    const subjects = ofType("azure-native:managedidentity:FederatedIdentityCredential").map(
      (r) => r.inputs.subject,
    );
    expect(subjects).toContain("system:serviceaccount:serving-dev:serving-champion");
  });
});
