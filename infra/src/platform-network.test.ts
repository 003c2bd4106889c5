/**
 * Azure ML behind the VNet on the prod stack, under mocks: compute without public IPs needs the
 * workspace's private endpoint (group `amlworkspace`, zones `privatelink.api.azureml.ms` and
 * `privatelink.notebooks.azure.net`) and no inbound rules; image builds run on the training
 * cluster; egress is a NAT gateway on the AKS and ML subnets (Azure ML docs
 * how-to-secure-training-vnet; AKS docs nat-gateway).
 */
import { describe, expect, it } from "vitest";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { TRAINING_CLUSTER_NAME } from "./ml-workspace.js";

renderBeforeAll("prod", stackFileConfig());

describe("Azure ML behind the VNet", () => {
  it("gives the workspace a private endpoint registered in both Azure ML zones, and turns public access off", () => {
    const endpoint = one(
      "azure-native:network:PrivateEndpoint",
      "ml-workspace-pe-amlworkspace",
    ).inputs;
    expect(endpoint.privateLinkServiceConnections[0].groupIds).toEqual(["amlworkspace"]);
    const zones = one(
      "azure-native:network:PrivateDnsZoneGroup",
      "ml-workspace-pe-amlworkspace-dns",
    ).inputs.privateDnsZoneConfigs.map((c: { privateDnsZoneId: string }) =>
      c.privateDnsZoneId.split("/").pop(),
    );
    expect(zones).toEqual(["network-dns-api-azureml-ms", "network-dns-notebooks-azure-net"]);
    for (const zone of ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]) {
      expect(
        ofType("azure-native:privatedns:PrivateZone").map((z) => z.inputs.privateZoneName),
      ).toContain(zone);
    }
    const ws = one("azure-native:machinelearningservices:Workspace", "ml-workspace").inputs;
    expect(ws.publicNetworkAccess).toBe("Disabled");
  });

  it("builds images on the training cluster and keeps identity-based system datastores", () => {
    const ws = one("azure-native:machinelearningservices:Workspace", "ml-workspace").inputs;
    expect(ws.imageBuildCompute).toBe(TRAINING_CLUSTER_NAME);
    expect(ws.systemDatastoresAuthMode).toBe("identity");
    expect(
      one("azure-native:storage:StorageAccount", "ml-storage").inputs.allowSharedKeyAccess,
    ).toBe(false);
  });

  it("sends both compute subnets out through one NAT gateway, with default outbound access off", () => {
    const [nat] = ofType("azure-native:network:NatGateway");
    for (const name of ["network-aks", "network-ml"]) {
      const subnet = one("azure-native:network:Subnet", name).inputs;
      expect(subnet.natGateway.id, name).toMatch(/NatGateway\/network-nat$/);
      expect(subnet.defaultOutboundAccess, name).toBe(false);
    }
    expect(nat!.inputs.publicIpAddresses).toHaveLength(1);
    const cluster = one("azure-native:resources:Resource", "aks-cluster").inputs;
    expect(cluster.properties.networkProfile.outboundType).toBe("userAssignedNATGateway");
  });

  // With the workspace's private endpoint the nodes need no public IP, and compute without one
  // takes no inbound traffic (MicrosoftDocs/azure-ai-docs articles/machine-learning/
  // how-to-secure-training-vnet.md, "Inbound traffic: None"); platform-dev.test.ts has the other mode.
  it("opens nothing inbound to the ML subnet: compute without a public IP takes no inbound traffic", () => {
    const nsg = one("azure-native:network:NetworkSecurityGroup", "network-ml-nsg").inputs;
    expect(nsg.securityRules ?? []).toEqual([]);
    expect(
      one("azure-native:machinelearningservices:Compute", "ml-compute").inputs.properties.properties
        .enableNodePublicIp,
    ).toBe(false);
  });
});
