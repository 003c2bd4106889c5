/**
 * Most replicas any workload here may run: the 150,000 pods per cluster
 * Kubernetes is tested to (kubernetes.io/docs/setup/best-practices/cluster-large),
 * far inside the int32 the API stores replica counts in.
 */
export const MAX_REPLICAS = 150_000;

/** Throws, naming the field and the rule, unless `value` is an integer replica count in `min`-{@link MAX_REPLICAS}. */
export function assertReplicaCount(field: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min || value > MAX_REPLICAS) {
    throw new Error(`${field}: ${value} must be an integer in ${min}-${MAX_REPLICAS}`);
  }
}
