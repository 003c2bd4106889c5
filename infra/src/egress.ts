import * as network from "@pulumi/azure-native/network/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { PlacementArgs } from "./placement.js";

/** How one NAT gateway differs from another. */
export interface NatEgressSettings {
  /** Availability zones of the public address. @default none (the region picks) */
  zones?: string[];
  /** Minutes an idle outbound flow keeps its port. */
  idleTimeoutInMinutes: number;
}

/**
 * Explicit outbound for subnets: a NAT gateway (`<name>-nat`) with one static IPv4 address
 * (`<name>-egress-ip`), where the subnets' traffic comes from. Standard SKU: the SDK's network
 * API (2024-05-01) has no StandardV2 yet; a non-zonal gateway with a zone-redundant address
 * survives the loss of any one zone's address.
 */
export function createNatEgress(
  name: string,
  placement: PlacementArgs,
  settings: NatEgressSettings,
  parent: pulumi.Resource,
): { nat: network.NatGateway; ip: network.PublicIPAddress } {
  const ip = new network.PublicIPAddress(
    `${name}-egress-ip`,
    {
      ...placement,
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
      ...(settings.zones ? { zones: settings.zones } : {}),
    },
    { parent },
  );
  const nat = new network.NatGateway(
    `${name}-nat`,
    {
      ...placement,
      sku: { name: "Standard" },
      idleTimeoutInMinutes: settings.idleTimeoutInMinutes,
      publicIpAddresses: [{ id: ip.id }],
    },
    { parent },
  );
  return { nat, ip };
}
