import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertDns1123Label } from "./names.js";
import { assertQuantityInteger } from "./quantity.js";
import {
  type ContainerResources,
  DEFAULT_RESOURCES,
  type ResourceAmounts,
  toQuantities,
  validateResources,
} from "./resources.js";
import { validateFor } from "./validation.js";

/**
 * Namespace of the AKS application-routing add-on's NGINX controller: the
 * only source of client traffic the serving pods accept.
 */
export const APP_ROUTING_NAMESPACE = "app-routing-system";

/** Hard caps for everything running in the namespace. */
export interface NamespaceQuota {
  /** Sum of all containers' requests. */
  readonly requests: ResourceAmounts;
  /** Sum of all containers' limits. */
  readonly limits: ResourceAmounts;
  /** Most pods at once, including rolling-update surge. */
  readonly pods: number;
}

/** Arguments of {@link ServingNamespace}. */
export interface ServingNamespaceArgs {
  /** The Kubernetes provider of the target cluster; never the ambient kubeconfig. */
  readonly provider: k8s.Provider;
  /** Namespace name: a DNS-1123 label. */
  readonly namespace: string;
  /** Port the serving containers listen on (HTTP API and `/metrics`); 1-65535. */
  readonly containerPort: number;
  /** Quota for the namespace; {@link ServingStack} derives it from the deployments it creates. */
  readonly quota: NamespaceQuota;
  /**
   * Requests and limits the LimitRange gives containers that declare none (debug pods).
   * @default DEFAULT_RESOURCES
   */
  readonly containerDefaults?: ContainerResources;
  /**
   * Largest limits any one container may declare (>= the default limits).
   * @default containerDefaults.limits
   */
  readonly containerMax?: ResourceAmounts;
  /**
   * Namespaces of the ingress proxies whose pods may reach the API (the
   * NGINX controller's, a Gateway's, or both while migrating).
   * @default [APP_ROUTING_NAMESPACE]
   */
  readonly ingressControllerNamespaces?: readonly string[];
  /**
   * CIDRs the pods may reach on TCP 443: Entra ID (workload-identity token
   * exchange), Cosmos DB, Key Vault, Application Insights. Standard
   * NetworkPolicy cannot match host names; with private endpoints, pass their
   * subnets plus the Entra/Monitor service-tag ranges to tighten this. At
   * least one: an egress rule with an empty `to` matches every destination,
   * and the pods cannot run without reaching Entra ID anyway.
   * @default ["0.0.0.0/0"]
   */
  readonly egressCidrs?: readonly string[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Throws, naming the field and the rule, unless `args` describe a valid serving namespace. */
export function validateServingNamespaceArgs(args: ServingNamespaceArgs): void {
  assertDns1123Label("namespace", args.namespace);
  for (const [i, ns] of (args.ingressControllerNamespaces ?? [APP_ROUTING_NAMESPACE]).entries()) {
    assertDns1123Label(`ingressControllerNamespaces[${i}]`, ns);
  }
  if (
    !Number.isInteger(args.containerPort) ||
    args.containerPort < 1 ||
    args.containerPort > 65535
  ) {
    throw new Error(`containerPort: ${args.containerPort} must be an integer in 1-65535`);
  }
  const defaults = args.containerDefaults ?? DEFAULT_RESOURCES;
  validateResources("containerDefaults", defaults);
  const max = args.containerMax ?? defaults.limits;
  for (const key of ["cpuMillis", "memoryMiB"] as const) {
    assertQuantityInteger(`containerMax.${key}`, max[key]);
    if (max[key] < defaults.limits[key]) {
      throw new Error(
        `containerMax.${key}: ${max[key]} must be >= containerDefaults.limits.${key} (${defaults.limits[key]})`,
      );
    }
  }
  validateResources("quota", args.quota);
  assertQuantityInteger("quota.pods", args.quota.pods);
  if (args.egressCidrs?.length === 0) {
    throw new Error(
      "egressCidrs: must list at least one CIDR (an empty list would open TCP 443 to every destination); leave unset for 0.0.0.0/0",
    );
  }
  for (const [i, cidr] of (args.egressCidrs ?? []).entries()) {
    const m = CIDR.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw new Error(`egressCidrs[${i}]: "${cidr}" must be an IPv4 CIDR such as 10.0.0.0/16`);
    }
  }
}

/** Peers in namespace `namespace`. */
const fromNamespace = (namespace: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});

/**
 * The namespace's NetworkPolicies by name, each over every pod: all traffic denied, then what the
 * API needs allowed.
 */
function networkPolicies(
  args: ServingNamespaceArgs,
): Record<string, Omit<k8s.types.input.networking.v1.NetworkPolicySpec, "podSelector">> {
  const port = args.containerPort;
  return {
    "default-deny": { policyTypes: ["Ingress", "Egress"] },
    "allow-ingress-controller": {
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: (args.ingressControllerNamespaces ?? [APP_ROUTING_NAMESPACE]).map(fromNamespace),
          ports: [{ protocol: "TCP", port }],
        },
      ],
    },
    "allow-metrics-scrape": {
      policyTypes: ["Ingress"],
      // The managed Prometheus agent (ama-metrics) runs in kube-system.
      ingress: [{ from: [fromNamespace("kube-system")], ports: [{ protocol: "TCP", port }] }],
    },
    "allow-dns": {
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              ...fromNamespace("kube-system"),
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
    "allow-azure-egress": {
      policyTypes: ["Egress"],
      egress: [
        {
          to: (args.egressCidrs ?? ["0.0.0.0/0"]).map((cidr) => ({ ipBlock: { cidr } })),
          ports: [{ protocol: "TCP", port: 443 }],
        },
      ],
    },
  };
}

/**
 * The namespace the prediction API runs in, locked down: Pod Security
 * "restricted" enforced, every pod denied all traffic except what the API
 * needs (client traffic from the ingress controller, scrapes from the
 * managed Prometheus agent in kube-system, DNS, HTTPS out to Azure), and a
 * quota plus limit range so a runaway autoscaler or a stray pod cannot take
 * the node pool.
 */
export class ServingNamespace extends pulumi.ComponentResource {
  /** The namespace's name, resolved once the Namespace exists (carries the dependency). */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: ServingNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:ServingNamespace", name, {}, opts);
    validateFor(this, () => validateServingNamespaceArgs(args));
    const child = { parent: this, provider: args.provider };
    const defaults = args.containerDefaults ?? DEFAULT_RESOURCES;

    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          labels: {
            // Admission rejects any pod that is not non-root, capability-free and seccomp-confined.
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
      child,
    );
    this.name = ns.metadata.name;
    const metadata = (role: string) => ({ name: role, namespace: this.name });
    for (const [role, spec] of Object.entries(networkPolicies(args))) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${role}`,
        { metadata: metadata(role), spec: { podSelector: {}, ...spec } },
        child,
      );
    }

    const requests = toQuantities(args.quota.requests);
    const limits = toQuantities(args.quota.limits);
    new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      {
        metadata: metadata("serving-quota"),
        spec: {
          hard: {
            "requests.cpu": requests.cpu,
            "requests.memory": requests.memory,
            "limits.cpu": limits.cpu,
            "limits.memory": limits.memory,
            pods: String(args.quota.pods),
          },
        },
      },
      child,
    );
    new k8s.core.v1.LimitRange(
      `${name}-limits`,
      {
        metadata: metadata("serving-limits"),
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: toQuantities(defaults.requests),
              default: toQuantities(defaults.limits),
              max: toQuantities(args.containerMax ?? defaults.limits),
            },
          ],
        },
      },
      child,
    );

    this.registerOutputs({ name: this.name });
  }
}
