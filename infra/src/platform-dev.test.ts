import { registered } from "@mlops/k8s/test-support";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { stackViolations, violations } from "../policy/rules.js";
import { ofType, one, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { MANAGED_NGINX_RETIREMENT } from "./aks-cluster-body.js";
import { AZURE_ML_PUBLIC_NODE_INBOUND } from "./network.js";

/**
 * What the program writes to the console while it runs, watched from the start: under mocks, with
 * no engine to send them to, `pulumi.log.warn` prints its warnings there (what `pulumi preview`
 * shows).
 */
const consoleWarn = vi.spyOn(console, "warn");

/**
 * The same program on the dev stack (test-support/Pulumi.dev.yaml): public endpoints instead of private
 * networking, serverless Cosmos DB. platform.test.ts covers prod; this checks the other branches.
 */
renderBeforeAll(
  "dev",
  stackFileConfig(new URL("../test-support/Pulumi.dev.yaml", import.meta.url)),
);

/** The warnings printed while the program ran, kept: vitest clears a spy's calls before each test. */
let printed: string[] = [];
beforeAll(() => {
  printed = consoleWarn.mock.calls.map(([message]) => String(message));
});

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

  // No private networking, so no workspace private endpoint, which compute without public IPs
  // requires ("You must use a workspace private endpoint", MicrosoftDocs/azure-ai-docs
  // articles/machine-learning/how-to-secure-training-vnet.md): the nodes take public IPs, and the
  // ML subnet admits TCP 44224 from `AzureMachineLearning`, the inbound public-IP compute needs
  // (how-to-access-azureml-behind-firewall.md, "Inbound traffic").
  it("gives the ML compute nodes public IPs and admits the Azure ML service's inbound to them", () => {
    const compute = one("azure-native:machinelearningservices:Compute", "ml-compute").inputs;
    expect(compute.properties.properties.enableNodePublicIp).toBe(true);
    expect(compute.properties.properties.remoteLoginPortPublicAccess).toBe("Disabled");
    expect(
      one("azure-native:network:NetworkSecurityGroup", "network-ml-nsg").inputs.securityRules,
    ).toEqual([AZURE_ML_PUBLIC_NODE_INBOUND]);
    expect(AZURE_ML_PUBLIC_NODE_INBOUND).toMatchObject({
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: "AzureMachineLearning",
      destinationPortRange: "44224",
    });
  });

  // The routing add-on's managed NGINX stopped receiving Azure support after November 2026
  // (MicrosoftDocs/azure-aks-docs articles/aks/app-routing-gateway-api.md).
  it("warns, naming the retirement and its source, that the NGINX split is out of Azure support", () => {
    expect(printed.filter((m) => m.includes(MANAGED_NGINX_RETIREMENT))).toHaveLength(1);
    expect(MANAGED_NGINX_RETIREMENT).toMatch(/November 2026/);
    expect(MANAGED_NGINX_RETIREMENT).toMatch(
      /azure-aks-docs articles\/aks\/app-routing-gateway-api\.md/,
    );
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
