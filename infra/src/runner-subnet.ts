import * as network from "@pulumi/azure-native/network/index.js";
import * as pulumi from "@pulumi/pulumi";
import { createNatEgress } from "./egress.js";
import { type PlacementArgs, placementOf } from "./placement.js";

export interface RunnerSubnetArgs extends PlacementArgs {
  /** The platform VNet (its private DNS zones resolve the private endpoints for the runners). */
  vnetId: pulumi.Input<string>;
  /** The subnet's range (`network.runnerSubnet`). */
  addressPrefix: string;
}

/**
 * Where the pipeline's self-hosted runners live: a subnet of the platform VNet, so jobs reach the
 * registry, Cosmos DB and the ML storage through their private endpoints (which the VNet-linked
 * private DNS zones resolve), with explicit outbound through a NAT gateway for GitHub, package
 * registries and the public Azure endpoints. Default outbound access is off: Azure is retiring it
 * for new subnets and recommends an explicit method such as a NAT gateway
 * (learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access). The NSG keeps
 * Azure's default inbound rules: nothing from the internet reaches a runner.
 *
 * Chosen over an ACR Tasks agent pool in the VNet, which is a preview for Premium registries and
 * would cover only the image push (learn.microsoft.com/azure/container-registry/tasks-agent-pools):
 * train, deploy, A/B analysis and promotion reach private endpoints too.
 */
export class RunnerSubnet extends pulumi.ComponentResource {
  readonly subnetId: pulumi.Output<string>;
  /** The address GitHub and other services see the runners' traffic come from. */
  readonly egressIp: pulumi.Output<string | undefined>;

  constructor(name: string, args: RunnerSubnetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:RunnerSubnet", name, {}, opts);
    const placement = placementOf(args);
    const { nat, ip } = createNatEgress(name, placement, { idleTimeoutInMinutes: 10 }, this);
    const nsg = new network.NetworkSecurityGroup(`${name}-nsg`, placement, { parent: this });
    const subnet = new network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: pulumi.output(args.vnetId).apply((id) => id.split("/").at(-1)!),
        addressPrefix: args.addressPrefix,
        networkSecurityGroup: { id: nsg.id },
        natGateway: { id: nat.id },
        defaultOutboundAccess: false,
      },
      { parent: this },
    );
    this.subnetId = subnet.id;
    this.egressIp = ip.ipAddress;
    this.registerOutputs({ subnetId: this.subnetId, egressIp: this.egressIp });
  }
}
