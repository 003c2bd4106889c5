import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isCidr } from "./cidr.js";

/**
 * Who can reach the AKS API server, from stack config. Either private (reachable only from the
 * VNet and peered networks), or public but limited to listed IPv4 ranges: the platform team's
 * egress and the pipeline runners' egress (the in-VNet runners leave through a NAT gateway whose
 * address the stack exports). AKS allows up to 200 ranges and refuses them on private clusters
 * (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges, "Limitations and considerations").
 * In a non-private cluster the nodes' own API server traffic leaves through the cluster's outbound
 * type (AKS docs nat-gateway and egress-outboundtype: "API server cluster traffic is routed and
 * processed through the clusters outbound type"), here the node subnet's NAT gateway, so its
 * address is admitted too.
 */

/** Most authorized ranges AKS accepts (same source). */
export const MAX_AUTHORIZED_RANGES = 200;

/** True for a range that lets every address through, which defeats the restriction. */
const opensEverything = (cidr: string) => cidr.endsWith("/0");

const authorizedRange = z
  .string()
  .refine(isCidr, { message: "must be an IPv4 CIDR such as 203.0.113.0/28" })
  .refine((c) => !opensEverything(c), {
    message: "must not be a /0 range: that is a public API server with extra steps",
  });

export const apiServerAccessSchema = z.discriminatedUnion("access", [
  z.object({ access: z.literal("private") }),
  z.object({
    access: z.literal("authorizedIpRanges"),
    authorizedIpRanges: z
      .array(authorizedRange)
      .min(1, "needs at least one range (the runners' and the platform team's egress)")
      .max(MAX_AUTHORIZED_RANGES, `AKS accepts at most ${MAX_AUTHORIZED_RANGES} ranges`),
  }),
]);

export type ApiServerAccess = z.infer<typeof apiServerAccessSchema>;

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
