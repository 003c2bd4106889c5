import * as network from "@pulumi/azure-native/network/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { PlacementArgs } from "./placement.js";

/** How one NAT gateway differs from another. */
export interface NatEgressSettings {
  /** Availability zones of the public address (the gateway itself stays in one). @default none */
  zones?: string[];
  /** Minutes an idle outbound flow keeps its port. */
  idleTimeoutInMinutes: number;
}

/**
 * Explicit outbound for subnets: a NAT gateway (`<name>-nat`) with one static IPv4 address
 * (`<name>-egress-ip`), where the subnets' traffic comes from.
 *
 * Not zone-redundant. A Standard NAT gateway is a zonal resource; one given no zone is still
 * placed in a zone Azure picks, and if that zone goes down, outbound connectivity of everything
 * behind the gateway goes down, whatever zones the address spans (MicrosoftDocs/azure-docs
 * articles/nat-gateway/nat-availability-zones.md, "Nonzonal" and "Design considerations"). The
 * zone-redundant SKU is StandardV2, with StandardV2 addresses (MicrosoftDocs/azure-docs
 * articles/nat-gateway/nat-gateway-resource.md, "Availability zones"), which AKS's
 * `userAssignedNATGateway` supports (MicrosoftDocs/azure-aks-docs articles/aks/nat-gateway.md);
 * the SDK's network API (2024-05-01) has only `Standard`
 * (infra README, "Known limits").
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
