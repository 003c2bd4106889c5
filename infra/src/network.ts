import type { NetworkConfig } from "@mlops/contracts";
import * as network from "@pulumi/azure-native/network/index.js";
import * as privatedns from "@pulumi/azure-native/privatedns/index.js";
import * as pulumi from "@pulumi/pulumi";
import { createNatEgress } from "./egress.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { type PrivateLinkArgs, privateDnsZoneNames } from "./private-link.js";

/** What sets one subnet apart: its range and options, and its NSG's rules. */
interface SubnetSettings
  extends Omit<
    network.SubnetArgs,
    "resourceGroupName" | "virtualNetworkName" | "networkSecurityGroup"
  > {
  addressPrefix: string;
  securityRules?: network.NetworkSecurityGroupArgs["securityRules"];
}

/** Client traffic to the application-routing NGINX's public load balancer. */
const HTTPS_FROM_INTERNET = {
  name: "HttpsFromInternet",
  priority: 100,
  access: "Allow",
  direction: "Inbound",
  protocol: "Tcp",
  sourceAddressPrefix: "Internet",
  sourcePortRange: "*",
  destinationAddressPrefix: "*",
  destinationPortRanges: ["80", "443"],
};

/**
 * The Azure ML service's inbound to compute nodes with public IPs (TCP 44224 from the
 * `AzureMachineLearning` service tag, "only needed if the instance/cluster is configured to use a
 * public IP address": MicrosoftDocs/azure-ai-docs articles/machine-learning/
 * how-to-access-azureml-behind-firewall.md, "Inbound traffic"; how-to-secure-training-vnet.md,
 * "with public IP"). The current docs list no other inbound; nodes without public IPs need none.
 */
export const AZURE_ML_PUBLIC_NODE_INBOUND = {
  name: "AzureMachineLearningInbound",
  priority: 100,
  access: "Allow",
  direction: "Inbound",
  protocol: "Tcp",
  sourceAddressPrefix: "AzureMachineLearning",
  sourcePortRange: "*",
  destinationAddressPrefix: "VirtualNetwork",
  destinationPortRange: "44224",
};

export interface NetworkArgs extends PlacementArgs {
  /** Address ranges of the VNet and its subnets. */
  ranges: NetworkConfig;
  /** Create private DNS zones linked to the VNet, so data planes can drop public access. */
  privateNetworking: boolean;
}

/**
 * The VNet: one subnet for AKS nodes (pods use the CNI overlay, so they take no VNet addresses),
 * one for Azure ML compute, one for private endpoints, each behind an NSG; explicit egress for
 * the first two through a NAT gateway (AKS outbound type `userAssignedNATGateway` needs it on the
 * subnet before the cluster, AKS docs nat-gateway; Azure ML compute without public IPs should not
 * rely on default outbound access, Azure ML docs how-to-secure-training-vnet); and, with private
 * networking, the private DNS zones that resolve the data planes' private endpoints.
 *
 * The ML subnet's NSG opens nothing inbound with private networking: compute without a public IP
 * takes no inbound traffic from the Azure ML service (same doc, "Inbound traffic: None"). Without
 * private networking there is no workspace private endpoint, so the compute nodes have public IPs
 * (ml-workspace.ts) and the NSG admits the service's inbound ({@link AZURE_ML_PUBLIC_NODE_INBOUND}).
 */
export class Network extends pulumi.ComponentResource {
  /** VNet resource id. */
  readonly vnetId: pulumi.Output<string>;
  /** Subnet for AKS node pools. */
  readonly aksSubnetId: pulumi.Output<string>;
  /** Subnet for the Azure ML compute cluster. */
  readonly mlSubnetId: pulumi.Output<string>;
  /** Subnet for private endpoints. */
  readonly endpointsSubnetId: pulumi.Output<string>;
  /** What components need to put private endpoints here; undefined without private networking. */
  readonly privateLink: PrivateLinkArgs | undefined;
  /** The NAT gateway both compute subnets send their outbound traffic through. */
  readonly natGatewayId: pulumi.Output<string>;
  /** Its public address: where the nodes' and the compute's traffic comes from. */
  readonly egressIp: pulumi.Output<string | undefined>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Network", name, {}, opts);
    const { ranges } = args;
    const placement = placementOf(args);

    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      { ...placement, addressSpace: { addressPrefixes: [ranges.addressSpace] } },
      { parent: this },
    );

    const { nat, ip: egressIp } = createNatEgress(
      name,
      placement,
      { zones: ["1", "2", "3"], idleTimeoutInMinutes: 4 },
      this,
    );

    // Subnets are created one after another: Azure rejects concurrent writes to one VNet.
    const compute = { natGateway: { id: nat.id }, defaultOutboundAccess: false };
    const aksSubnet = this.subnet(`${name}-aks`, args, vnet, {
      ...compute,
      addressPrefix: ranges.aksSubnet,
      // The application-routing NGINX sits behind a public load balancer in this subnet; a
      // subnet NSG without this rule would drop client traffic before AKS's own NSG sees it.
      securityRules: [HTTPS_FROM_INTERNET],
    });
    const mlSubnet = this.subnet(
      `${name}-ml`,
      args,
      vnet,
      {
        ...compute,
        addressPrefix: ranges.mlSubnet,
        ...(args.privateNetworking ? {} : { securityRules: [AZURE_ML_PUBLIC_NODE_INBOUND] }),
      },
      aksSubnet,
    );
    const endpointsSubnet = this.subnet(
      `${name}-endpoints`,
      args,
      vnet,
      {
        addressPrefix: ranges.endpointsSubnet,
        // Let the NSG apply to private endpoints too.
        privateEndpointNetworkPolicies: "Enabled",
      },
      mlSubnet,
    );

    this.vnetId = vnet.id;
    this.aksSubnetId = aksSubnet.id;
    this.mlSubnetId = mlSubnet.id;
    this.endpointsSubnetId = endpointsSubnet.id;
    this.natGatewayId = nat.id;
    this.egressIp = egressIp.ipAddress;
    this.privateLink = args.privateNetworking
      ? { subnetId: endpointsSubnet.id, dnsZoneIds: this.createPrivateDnsZones(name, args, vnet) }
      : undefined;

    this.registerOutputs({
      vnetId: this.vnetId,
      aksSubnetId: this.aksSubnetId,
      mlSubnetId: this.mlSubnetId,
      endpointsSubnetId: this.endpointsSubnetId,
    });
  }

  /**
   * Subnet `role` of the VNet behind its own NSG (`<role>-nsg`, holding `securityRules`), created
   * after `after`.
   */
  private subnet(
    role: string,
    args: NetworkArgs,
    vnet: network.VirtualNetwork,
    settings: SubnetSettings,
    after?: pulumi.Resource,
  ): network.Subnet {
    const { securityRules, ...subnet } = settings;
    const nsg = new network.NetworkSecurityGroup(
      `${role}-nsg`,
      { ...placementOf(args), ...(securityRules ? { securityRules } : {}) },
      { parent: this },
    );
    return new network.Subnet(
      role,
      {
        ...subnet,
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        networkSecurityGroup: { id: nsg.id },
      },
      { parent: this, dependsOn: after ? [after] : [] },
    );
  }

  /** One private DNS zone per zone name the Private Link groups need, linked to the VNet. */
  private createPrivateDnsZones(
    name: string,
    args: NetworkArgs,
    vnet: network.VirtualNetwork,
  ): Record<string, pulumi.Output<string>> {
    const entries = privateDnsZoneNames.map((zoneName) => {
      // `privatelink.api.azureml.ms` → `api-azureml-ms`: unique and stable per zone.
      const role = `${name}-dns-${zoneName.replace(/^privatelink\./, "").replaceAll(".", "-")}`;
      const zone = new privatedns.PrivateZone(
        role,
        {
          resourceGroupName: args.resourceGroupName,
          privateZoneName: zoneName,
          location: "global",
          tags: args.tags,
        },
        { parent: this },
      );
      new privatedns.VirtualNetworkLink(
        `${role}-link`,
        {
          resourceGroupName: args.resourceGroupName,
          privateZoneName: zone.name,
          location: "global",
          tags: args.tags,
          virtualNetwork: { id: vnet.id },
          registrationEnabled: false,
        },
        { parent: this },
      );
      return [zoneName, zone.id] as const;
    });
    return Object.fromEntries(entries);
  }
}
