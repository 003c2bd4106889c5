/**
 * The estate's address plan from stack config (`network`): the VNet, its subnets, and the AKS
 * overlay's pod and service ranges, with the rules Azure and AKS hold them to; and how many node
 * subnet addresses the AKS node pools need.
 */
import { z } from "zod";
import { cidrContains, cidrFirstAddresses, cidrSize, cidrsOverlap, isCidr } from "./cidr.js";
import type { NodePool } from "./estate-config.js";

const cidr = z.string().refine(isCidr, { message: "must be an IPv4 CIDR such as 10.40.0.0/16" });

export const NetworkSchema = z
  .object({
    addressSpace: cidr.default("10.40.0.0/16"),
    aksSubnet: cidr.default("10.40.0.0/20"),
    mlSubnet: cidr.default("10.40.16.0/22"),
    endpointsSubnet: cidr.default("10.40.20.0/24"),
    /** The self-hosted pipeline runners (only created when `pipeline` is configured). */
    runnerSubnet: cidr.default("10.40.21.0/24"),
    /** Overlay pod range: never routed in the VNet, but must not collide with it. */
    podCidr: cidr.default("192.168.0.0/16"),
    serviceCidr: cidr.default("172.16.0.0/16"),
    dnsServiceIp: z.ipv4().default("172.16.0.10"),
  })
  .superRefine((n, ctx) => {
    // A malformed range already has its own issue; comparing it would only add noise.
    const ranges = [
      n.addressSpace,
      n.aksSubnet,
      n.mlSubnet,
      n.endpointsSubnet,
      n.runnerSubnet,
      n.podCidr,
      n.serviceCidr,
    ];
    if (!ranges.every(isCidr)) return;
    for (const key of ["aksSubnet", "mlSubnet", "endpointsSubnet", "runnerSubnet"] as const) {
      if (!cidrContains(n.addressSpace, n[key])) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must lie inside addressSpace ${n.addressSpace}`,
        });
      }
    }
    const subnets = [
      ["aksSubnet", "mlSubnet"],
      ["aksSubnet", "endpointsSubnet"],
      ["mlSubnet", "endpointsSubnet"],
      ["aksSubnet", "runnerSubnet"],
      ["mlSubnet", "runnerSubnet"],
      ["endpointsSubnet", "runnerSubnet"],
    ] as const;
    for (const [a, b] of subnets) {
      if (cidrsOverlap(n[a], n[b])) {
        ctx.addIssue({ code: "custom", path: [b], message: `must not overlap ${a} ${n[a]}` });
      }
    }
    for (const key of ["podCidr", "serviceCidr"] as const) {
      if (cidrsOverlap(n.addressSpace, n[key])) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must not overlap addressSpace ${n.addressSpace}`,
        });
      }
    }
    // AKS (Azure CNI Overlay): the pod and service ranges must not overlap each other either.
    if (cidrsOverlap(n.podCidr, n.serviceCidr)) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceCidr"],
        message: `must not overlap podCidr ${n.podCidr}`,
      });
    }
    // A malformed address has its own issue (z.ipv4), and no range to be compared with.
    if (!z.ipv4().safeParse(n.dnsServiceIp).success) return;
    const dns = `${n.dnsServiceIp}/32`;
    if (!cidrContains(n.serviceCidr, dns)) {
      ctx.addIssue({
        code: "custom",
        path: ["dnsServiceIp"],
        message: `must lie inside serviceCidr ${n.serviceCidr}`,
      });
    } else if (cidrFirstAddresses(n.serviceCidr, 2).includes(n.dnsServiceIp)) {
      // AKS's rule: the range's first address names the range, and its second (.1) is the
      // kubernetes service's (kubernetes.default.svc), so neither can be the DNS service's.
      ctx.addIssue({
        code: "custom",
        path: ["dnsServiceIp"],
        message: `must not be one of the first two addresses of serviceCidr ${n.serviceCidr} (the range's own and the kubernetes service's)`,
      });
    }
  });
export type NetworkConfig = z.infer<typeof NetworkSchema>;

/**
 * Surge nodes an upgrade adds to each pool, in percent of the pool's size
 * (infra/src/aks-cluster-body.ts sets it as `maxSurge`; ARM's AgentPoolUpgradeSettings: "for
 * percentages, fractional nodes are rounded up").
 */
export const NODE_POOL_MAX_SURGE_PERCENT = 33;

/** Addresses Azure keeps in every subnet: the first four and the last (Azure Virtual Network FAQ). */
const AZURE_RESERVED_SUBNET_ADDRESSES = 5;

/**
 * Node subnet addresses the pools may hold at once. With Azure CNI Overlay
 * (infra/src/aks-cluster-body.ts) only nodes take addresses from the node subnet, pods take theirs
 * from `podCidr`; an upgrade may surge a pool that the autoscaler holds at its maximum.
 */
function nodeSubnetDemand(pools: readonly NodePool[]): number {
  return pools.reduce(
    (sum, p) => sum + p.maxCount + Math.ceil((p.maxCount * NODE_POOL_MAX_SURGE_PERCENT) / 100),
    0,
  );
}

/**
 * Why `aksSubnet` cannot hold `pools` at their maximum plus upgrade surge, or undefined when it
 * can (or is malformed, which has its own issue).
 */
export function nodeSubnetShortfall(
  aksSubnet: string,
  pools: readonly NodePool[],
): string | undefined {
  if (!isCidr(aksSubnet)) return undefined;
  const usable = cidrSize(aksSubnet) - AZURE_RESERVED_SUBNET_ADDRESSES;
  const demand = nodeSubnetDemand(pools);
  if (demand <= usable) return undefined;
  return `has ${usable} usable addresses (Azure keeps ${AZURE_RESERVED_SUBNET_ADDRESSES} per subnet) but the node pools need ${demand}: each pool's maxCount plus its ${NODE_POOL_MAX_SURGE_PERCENT} % upgrade surge`;
}
