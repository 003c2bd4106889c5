/**
 * The reachability matrix: from each place a caller runs, which of the platform's endpoints it
 * can open a connection to, derived from what the program declares (public network access
 * flags, private endpoints in the VNet, the compute subnets' NAT egress, the API server's access
 * profile). `reachability.test.ts` checks that every operation of the access matrix runs from a
 * place that can reach its target.
 *
 * Rules: a public endpoint is reachable from the internet and from a subnet with outbound
 * internet (here, the NAT gateway); a private endpoint in the VNet is reachable from the VNet's
 * subnets (its zone is linked to the VNet); Azure Resource Manager and the public host are
 * reachable from everywhere.
 */
import type { PolicyResource } from "../policy/rules.js";
import { isAksCluster } from "../policy/rules.js";
import type { Actor, Target } from "./access.js";

/** Where a caller runs. */
export type Location =
  | "internet (a laptop, a GitHub-hosted runner)"
  | "AKS pods and nodes"
  | "Azure ML compute"
  | "in-VNet runner (the runner subnet)"
  | "Azure control plane";

/** What a caller connects to. */
export type Endpoint =
  | "container registry"
  | "Cosmos DB"
  | "workspace storage"
  | "ML workspace"
  | "Azure Monitor workspace (Prometheus queries)"
  | "AKS API server"
  | "Azure Resource Manager"
  | "certificate vault (outside the stack)";

/** Where each actor of the access matrix runs. */
export const ACTOR_LOCATION: Readonly<Record<Actor, Location>> = {
  "serving pods": "AKS pods and nodes",
  "AKS kubelet": "AKS pods and nodes",
  "KEDA operator": "AKS pods and nodes",
  "gateway edge (TLS sync, external-dns)": "AKS pods and nodes",
  "app routing add-on (NGINX path)": "AKS pods and nodes",
  "training jobs": "Azure ML compute",
  "AKS control plane": "Azure control plane",
  "platform engineer running pulumi up": "internet (a laptop, a GitHub-hosted runner)",
  // The workflows' jobs: on the self-hosted runner in the VNet, PR previews on GitHub's runners
  // (.github/workflows; tests/workflows/estate.test.ts keeps the workflows to this).
  "pipeline build jobs": "in-VNet runner (the runner subnet)",
  "pipeline deploy jobs": "in-VNet runner (the runner subnet)",
  "pipeline PR previews": "internet (a laptop, a GitHub-hosted runner)",
};

/** The endpoint a target of the access matrix is reached at. */
export const ENDPOINT_OF: Readonly<Record<Target, Endpoint>> = {
  registry: "container registry",
  "cosmos database": "Cosmos DB",
  "ml storage": "workspace storage",
  "ml workspace": "ML workspace",
  "monitor workspace": "Azure Monitor workspace (Prometheus queries)",
  cluster: "AKS API server",
  "aks subnet": "Azure Resource Manager",
  "dns zone": "Azure Resource Manager",
  "certificate vault": "certificate vault (outside the stack)",
};

/** How an endpoint can be reached. */
export interface Exposure {
  /** Its public endpoint accepts traffic (possibly limited to `authorizedRanges`). */
  readonly public: boolean;
  /** It has a private endpoint in the platform's VNet. */
  readonly privateInVnet: boolean;
}

/** The subnets the program sends out through a NAT gateway, by logical name. */
function natSubnets(resources: readonly PolicyResource[]): Set<string> {
  return new Set(
    resources
      .filter((r) => r.type === "azure-native:network:Subnet" && r.props.natGateway !== undefined)
      .map((r) => r.name),
  );
}

/** Private endpoints by the group id they connect to. */
function privateGroups(resources: readonly PolicyResource[]): Set<string> {
  return new Set(
    resources
      .filter((r) => r.type === "azure-native:network:PrivateEndpoint")
      .flatMap((r) =>
        ((r.props.privateLinkServiceConnections ?? []) as { groupIds: string[] }[]).flatMap(
          (c) => c.groupIds,
        ),
      ),
  );
}

const first = (resources: readonly PolicyResource[], type: string) =>
  resources.find((r) => r.type === type)?.props ?? {};

/** Each endpoint's exposure, from the program's declared resources. */
export function exposures(resources: readonly PolicyResource[]): Record<Endpoint, Exposure> {
  const groups = privateGroups(resources);
  const open = (flag: unknown) => flag !== "Disabled";
  const cluster = resources.find(isAksCluster)?.props.properties as
    | { apiServerAccessProfile?: { enablePrivateCluster?: boolean } }
    | undefined;
  return {
    "container registry": {
      public: open(first(resources, "azure-native:containerregistry:Registry").publicNetworkAccess),
      privateInVnet: groups.has("registry"),
    },
    "Cosmos DB": {
      public: open(first(resources, "azure-native:cosmosdb:DatabaseAccount").publicNetworkAccess),
      privateInVnet: groups.has("Sql"),
    },
    "workspace storage": {
      public: open(first(resources, "azure-native:storage:StorageAccount").publicNetworkAccess),
      privateInVnet: groups.has("blob"),
    },
    "ML workspace": {
      public: open(
        first(resources, "azure-native:machinelearningservices:Workspace").publicNetworkAccess,
      ),
      privateInVnet: groups.has("amlworkspace"),
    },
    "Azure Monitor workspace (Prometheus queries)": {
      public: open(
        first(resources, "azure-native:monitor:AzureMonitorWorkspace").publicNetworkAccess,
      ),
      privateInVnet: false,
    },
    "AKS API server": {
      public: cluster?.apiServerAccessProfile?.enablePrivateCluster !== true,
      privateInVnet: cluster?.apiServerAccessProfile?.enablePrivateCluster === true,
    },
    "Azure Resource Manager": { public: true, privateInVnet: false },
    // Outside the stack: reachable as its own network rules allow; the certificate estate is
    // expected to keep its public endpoint for the clusters that read it (infra README).
    "certificate vault (outside the stack)": { public: true, privateInVnet: false },
  };
}

/** Whether a caller at `location` can reach `endpoint`, for the program's `resources`. */
export function canReach(
  resources: readonly PolicyResource[],
  location: Location,
  endpoint: Endpoint,
): boolean {
  const exposure = exposures(resources)[endpoint];
  const nat = natSubnets(resources);
  switch (location) {
    case "Azure control plane":
      return endpoint === "Azure Resource Manager";
    case "internet (a laptop, a GitHub-hosted runner)":
      return exposure.public;
    case "AKS pods and nodes":
      return exposure.privateInVnet || (exposure.public && nat.has("network-aks"));
    case "Azure ML compute":
      return exposure.privateInVnet || (exposure.public && nat.has("network-ml"));
    case "in-VNet runner (the runner subnet)":
      return exposure.privateInVnet || (exposure.public && nat.has("runners-subnet"));
  }
}
