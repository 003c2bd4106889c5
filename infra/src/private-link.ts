import * as network from "@pulumi/azure-native/network/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { PlacementArgs } from "./placement.js";

/**
 * Private Link sub-resources (group ids) the platform uses, and the private DNS zones that
 * resolve each one inside the VNet once public access is off. An Azure ML workspace needs two:
 * its API and its notebooks (Azure ML docs, how-to-custom-dns / how-to-configure-private-link).
 */
export const privateDnsZones = {
  registry: ["privatelink.azurecr.io"],
  vault: ["privatelink.vaultcore.azure.net"],
  Sql: ["privatelink.documents.azure.com"],
  blob: ["privatelink.blob.core.windows.net"],
  file: ["privatelink.file.core.windows.net"],
  amlworkspace: ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"],
} as const satisfies Record<string, readonly string[]>;

export type PrivateLinkGroup = keyof typeof privateDnsZones;

/** Every private DNS zone the groups need, once each. */
export const privateDnsZoneNames: readonly string[] = [
  ...new Set(Object.values(privateDnsZones).flat()),
];

/** How a component reaches the VNet when private networking is on. */
export interface PrivateLinkArgs {
  /** Subnet that holds the private endpoints. */
  subnetId: pulumi.Input<string>;
  /** Private DNS zone id by zone name (`privatelink.azurecr.io` → id). */
  dnsZoneIds: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * One private endpoint per group id of `targetId`, each registered in its DNS zone, named
 * `${name}-pe-<group>`. Returned so callers can order work after the endpoints exist.
 */
export function createPrivateEndpoints(
  name: string,
  targetId: pulumi.Input<string>,
  groups: readonly PrivateLinkGroup[],
  link: PrivateLinkArgs,
  placement: PlacementArgs,
  parent: pulumi.Resource,
): network.PrivateEndpoint[] {
  return groups.map((group) => {
    const endpointName = `${name}-pe-${group.toLowerCase()}`;
    const endpoint = new network.PrivateEndpoint(
      endpointName,
      {
        resourceGroupName: placement.resourceGroupName,
        location: placement.location,
        tags: placement.tags,
        subnet: { id: link.subnetId },
        privateLinkServiceConnections: [
          { name: endpointName, privateLinkServiceId: targetId, groupIds: [group] },
        ],
      },
      { parent },
    );
    new network.PrivateDnsZoneGroup(
      `${endpointName}-dns`,
      {
        resourceGroupName: placement.resourceGroupName,
        privateEndpointName: endpoint.name,
        privateDnsZoneConfigs: privateDnsZones[group].map((zone) => ({
          name: zone.replaceAll(".", "-"),
          privateDnsZoneId: link.dnsZoneIds[zone],
        })),
      },
      { parent },
    );
    return endpoint;
  });
}
