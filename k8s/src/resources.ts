/**
 * Container resources as numbers, so limits can be checked against requests
 * and a namespace quota can be derived from them without parsing quantities.
 */
import type * as k8s from "@pulumi/kubernetes";
import { assertQuantityInteger } from "./quantity.js";

/** CPU and memory for one container. */
export interface ResourceAmounts {
  /** CPU in millicores (1000 = one core); a positive integer. */
  readonly cpuMillis: number;
  /** Memory in MiB; a positive integer. */
  readonly memoryMiB: number;
}

/** Requests (what the scheduler reserves) and limits (what the kubelet enforces). */
export interface ContainerResources {
  /** Reserved per container; the HPA's CPU utilisation is measured against it. */
  readonly requests: ResourceAmounts;
  /** Hard ceiling per container; each at least the request. */
  readonly limits: ResourceAmounts;
}

/**
 * Sized for the Fastify prediction API with a random-forest model in memory:
 * half a core reserved, one core of burst, memory request equal to the limit
 * so the pod is never the first OOM-kill candidate under node pressure.
 */
export const DEFAULT_RESOURCES: ContainerResources = Object.freeze({
  requests: Object.freeze({ cpuMillis: 500, memoryMiB: 1024 }),
  limits: Object.freeze({ cpuMillis: 1000, memoryMiB: 1024 }),
});

/** Throws, naming the field and the rule, unless every amount renders as a quantity and limits >= requests. */
export function validateResources(field: string, resources: ContainerResources): void {
  for (const kind of ["requests", "limits"] as const) {
    for (const key of ["cpuMillis", "memoryMiB"] as const) {
      assertQuantityInteger(`${field}.${kind}.${key}`, resources[kind][key]);
    }
  }
  for (const key of ["cpuMillis", "memoryMiB"] as const) {
    if (resources.limits[key] < resources.requests[key]) {
      throw new Error(
        `${field}.limits.${key}: ${resources.limits[key]} must be >= requests.${key} (${resources.requests[key]})`,
      );
    }
  }
}

/** Kubernetes quantity strings for `amounts`. */
export function toQuantities(amounts: ResourceAmounts): { cpu: string; memory: string } {
  return { cpu: `${amounts.cpuMillis}m`, memory: `${amounts.memoryMiB}Mi` };
}

/** The `resources` block of a container spec. */
export function toResourceRequirements(
  resources: ContainerResources,
): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: toQuantities(resources.requests), limits: toQuantities(resources.limits) };
}

/** `amounts` × `count`, for quotas. */
export function scaleAmounts(amounts: ResourceAmounts, count: number): ResourceAmounts {
  return { cpuMillis: amounts.cpuMillis * count, memoryMiB: amounts.memoryMiB * count };
}

/** Element-wise sum, for quotas over several deployments. */
export function addAmounts(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return { cpuMillis: a.cpuMillis + b.cpuMillis, memoryMiB: a.memoryMiB + b.memoryMiB };
}
