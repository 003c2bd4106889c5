import type { ApiServerAccess } from "@mlops/contracts";
import * as pulumi from "@pulumi/pulumi";

/**
 * The AKS API server's access profile for the stack's `apiServer` setting (its schema and the AKS
 * limits it checks are in `@mlops/contracts`, stack-access.ts).
 */

/** `properties.apiServerAccessProfile` of the ManagedCluster body (ARM's property names). */
export interface ApiServerAccessProfile {
  enablePrivateCluster: boolean;
  privateDNSZone?: string;
  enablePrivateClusterPublicFQDN?: boolean;
  authorizedIPRanges?: pulumi.Input<string[]>;
}

/**
 * The cluster's `apiServerAccessProfile` for `access`. A private cluster keeps the system-managed
 * private DNS zone (`privateDNSZone: system`, the AKS default) and no public FQDN, so nothing
 * outside the VNet resolves the API server (learn.microsoft.com/azure/aks/private-clusters).
 * A public one also admits `ownEgressIps`, the addresses the estate's own callers leave from
 * (the nodes' and the runners' NAT gateways), so the config need not repeat an address the
 * program creates.
 */
export function apiServerAccessProfile(
  access: ApiServerAccess,
  ownEgressIps: readonly pulumi.Input<string | undefined>[] = [],
): ApiServerAccessProfile {
  if (access.access === "private") {
    return {
      enablePrivateCluster: true,
      privateDNSZone: "system",
      enablePrivateClusterPublicFQDN: false,
    };
  }
  return {
    enablePrivateCluster: false,
    authorizedIPRanges: pulumi
      .all([...ownEgressIps])
      .apply((ips) => [
        ...new Set([
          ...access.authorizedIpRanges,
          ...ips.filter((ip): ip is string => ip !== undefined).map((ip) => `${ip}/32`),
        ]),
      ]),
  };
}
