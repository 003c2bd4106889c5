/**
 * The access matrix: every actor of the platform, every operation it performs on Azure, the code
 * that performs it, and the permission (an Azure RBAC action or data action) the operation needs
 * on which target. `access.test.ts` checks under mocks that each operation is granted by a role
 * assignment whose built-in role contains that permission at a scope covering the target, and
 * that the program grants nothing the table does not list.
 *
 * The pipeline's identities (pipeline-identities.ts) are actors too, on a stack with `pipeline`
 * config: their rows name the workflow step that performs each operation. Who holds cluster admin
 * depends on who runs `pulumi up` too (cluster-admins.ts).
 */
import type { StackConfig } from "@mlops/contracts";
import { callerNeedsGrant, type Deployer } from "./cluster-admins.js";
import { PREVIEW_ROLE_PERMISSIONS } from "./pipeline-identities.js";
import type { BuiltInRole } from "./roles.js";

/**
 * A role the program assigns: a built-in Azure role, Cosmos DB's built-in data role, or the
 * PR previews' custom role (pipeline-identities.ts).
 */
export type GrantedRole = BuiltInRole | "cosmosDataContributor" | "pipelinePreview";

/**
 * The permissions of each role that this platform relies on, as the Azure built-in roles
 * reference lists them (articles/role-based-access-control/built-in-roles/*.md: containers,
 * security, networking, monitor, storage, ai-machine-learning; Cosmos DB's data roles in
 * articles/cosmos-db/nosql/security/reference-data-plane-roles.md). `*` matches any segments.
 */
export const ROLE_PERMISSIONS: Readonly<Record<GrantedRole, readonly string[]>> = {
  acrPull: ["Microsoft.ContainerRegistry/registries/pull/read"],
  acrPush: [
    "Microsoft.ContainerRegistry/registries/pull/read",
    "Microsoft.ContainerRegistry/registries/push/write",
  ],
  reader: ["*/read"],
  keyVaultSecretsUser: [
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  ],
  keyVaultCertificateUser: [
    "Microsoft.KeyVault/vaults/certificates/read",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  ],
  networkContributor: ["Microsoft.Network/*"],
  monitoringDataReader: ["Microsoft.Monitor/accounts/data/metrics/read"],
  monitoringMetricsPublisher: [
    "Microsoft.Insights/Metrics/Write",
    "Microsoft.Insights/Telemetry/Write",
  ],
  storageBlobDataContributor: [
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
  ],
  aksRbacClusterAdmin: ["Microsoft.ContainerService/managedClusters/*"],
  dnsZoneContributor: ["Microsoft.Network/dnsZones/*"],
  azureMlDataScientist: [
    "Microsoft.MachineLearningServices/workspaces/*/read",
    "Microsoft.MachineLearningServices/workspaces/*/action",
    "Microsoft.MachineLearningServices/workspaces/*/delete",
    "Microsoft.MachineLearningServices/workspaces/*/write",
  ],
  roleBasedAccessControlAdministrator: [
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
    "*/read",
  ],
  pipelinePreview: [...PREVIEW_ROLE_PERMISSIONS.actions, ...PREVIEW_ROLE_PERMISSIONS.dataActions],
  cosmosDataContributor: [
    "Microsoft.DocumentDB/databaseAccounts/readMetadata",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
  ],
};

/** Who acts: the program's identities and the principals Azure creates for it. */
export type Actor =
  | "serving pods"
  | "training jobs"
  | "KEDA operator"
  | "gateway edge (TLS sync, external-dns)"
  | "app routing add-on (NGINX path)"
  | "AKS kubelet"
  | "AKS control plane"
  | "platform engineer running pulumi up"
  | "pipeline build jobs"
  | "pipeline deploy jobs"
  | "pipeline PR previews";

/** What an operation is performed on, as the program names it. */
export type Target =
  | "registry"
  | "cosmos database"
  | "ml storage"
  | "ml workspace"
  | "monitor workspace"
  | "aks subnet"
  | "cluster"
  | "certificate vault"
  | "dns zone"
  | "app insights"
  | "key vault";

/** One row of the matrix. */
export interface Access {
  readonly actor: Actor;
  readonly operation: string;
  /** The RBAC (data) action the operation needs. */
  readonly permission: string;
  readonly target: Target;
  /** The role the program grants for it. */
  readonly role: GrantedRole;
  /** Where the operation is performed. */
  readonly code: string;
  /**
   * An Azure Resource Manager action on the target (listing credentials, say) rather than a
   * call to the target's own endpoint: it needs ARM reachable, not the target.
   */
  readonly viaResourceManager?: boolean;
  /** The principal, when the row is about one of several of its actor's (a listed admin). */
  readonly principal?: string;
}

const COSMOS_ITEMS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items";

/** The operation cluster admin is granted for. */
const APPLY_KUBERNETES_OBJECTS = {
  operation: "apply the Kubernetes objects through the AKS API",
  permission: "Microsoft.ContainerService/managedClusters/apps/deployments/write",
  target: "cluster",
  role: "aksRbacClusterAdmin",
} as const;

/** Every operation of every actor, for the stack config `cfg` and a run by `deployer`. */
export function accessMatrix(cfg: StackConfig, deployer: Deployer): Access[] {
  const tls = cfg.serving.tls !== "off";
  const planes = [
    cfg.serving.trafficSplit,
    ...(cfg.serving.standbySplit ? [cfg.serving.standbySplit] : []),
  ];
  const publishes = (plane: string) => cfg.serving.trafficSplit === plane;
  const serving: Access[] = [
    {
      actor: "serving pods",
      operation: "read models, write prediction logs and A/B records",
      permission: `${COSMOS_ITEMS}/upsert`,
      target: "cosmos database",
      role: "cosmosDataContributor",
      code: "services/store/src/cosmos (the API's store)",
    },
    {
      actor: "AKS kubelet",
      operation: "pull the serving image",
      permission: "Microsoft.ContainerRegistry/registries/pull/read",
      target: "registry",
      role: "acrPull",
      code: "k8s/src/model-deployment.ts (container image)",
    },
    {
      actor: "serving pods",
      operation:
        "send requests, dependencies and traces to Application Insights with an Entra token",
      permission: "Microsoft.Insights/Telemetry/Write",
      target: "app insights",
      role: "monitoringMetricsPublisher",
      code: "services/serving/src/telemetry.ts (MLOPS_TELEMETRY_AUTH=entra)",
    },
    {
      actor: "serving pods",
      operation: "mount the API keys and canary tokens (Secrets Store CSI driver, as the pod)",
      permission: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      target: "key vault",
      role: "keyVaultSecretsUser",
      code: "k8s/src/key-vault-secrets.ts (SecretProviderClass)",
    },
  ];
  const training: Access[] = [
    {
      actor: "training jobs",
      operation: "pull the training image on the compute cluster",
      permission: "Microsoft.ContainerRegistry/registries/pull/read",
      target: "registry",
      role: "acrPull",
      code: "training/src/azureml/jobs.ts (environment)",
    },
    {
      actor: "training jobs",
      operation: "write job outputs and run artifacts to the workspace storage",
      permission: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
      target: "ml storage",
      role: "storageBlobDataContributor",
      code: "training/src/azureml/jobs.ts (uri_folder outputs)",
    },
    {
      actor: "training jobs",
      operation: "track runs and metrics on the workspace's MLflow endpoint",
      permission: "Microsoft.MachineLearningServices/workspaces/experiments/runs/write",
      target: "ml workspace",
      role: "azureMlDataScientist",
      code: "training/src/tracking/azureml.ts",
    },
    {
      actor: "training jobs",
      operation: "register model versions in the store",
      permission: `${COSMOS_ITEMS}/create`,
      target: "cosmos database",
      role: "cosmosDataContributor",
      code: "training/src/jobs/registry.ts",
    },
  ];
  const platform: Access[] = [
    {
      actor: "KEDA operator",
      operation: "query the prediction rate and CPU from managed Prometheus",
      permission: "Microsoft.Monitor/accounts/data/metrics/read",
      target: "monitor workspace",
      role: "monitoringDataReader",
      code: "k8s/src/prediction-autoscaler.ts (prometheus triggers)",
    },
    {
      actor: "AKS control plane",
      operation: "join the node subnet and set up the cluster's load balancer",
      permission: "Microsoft.Network/virtualNetworks/subnets/join/action",
      target: "aks subnet",
      role: "networkContributor",
      code: "infra/src/aks.ts",
    },
    ...(callerNeedsGrant(cfg.aks.clusterAdmins, deployer)
      ? [
          {
            actor: "platform engineer running pulumi up",
            ...APPLY_KUBERNETES_OBJECTS,
            code: "infra/src/aks.ts (k8s provider; cluster-admins.ts, the caller's grant)",
          } satisfies Access,
        ]
      : []),
    ...[...cfg.aks.clusterAdmins.users, ...cfg.aks.clusterAdmins.groups].map(
      (principal): Access => ({
        actor: "platform engineer running pulumi up",
        ...APPLY_KUBERNETES_OBJECTS,
        code: "infra/src/aks.ts (k8s provider; cluster-admins.ts, aks.clusterAdmins)",
        principal,
      }),
    ),
  ];
  const edge: Access[] = [];
  if (tls && planes.includes("gateway")) {
    edge.push({
      actor: "gateway edge (TLS sync, external-dns)",
      operation: "sync the listener certificate from Key Vault",
      permission: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      target: "certificate vault",
      role: "keyVaultSecretsUser",
      code: "k8s/src/gateway-route.ts (listener TLS options)",
    });
    if (publishes("gateway")) {
      edge.push({
        actor: "gateway edge (TLS sync, external-dns)",
        operation: "publish the host's A record",
        permission: "Microsoft.Network/dnsZones/A/write",
        target: "dns zone",
        role: "dnsZoneContributor",
        code: "k8s/src/gateway-route.ts (ClusterExternalDNS)",
      });
    }
  }
  if (tls && planes.includes("nginx-canary")) {
    edge.push({
      actor: "app routing add-on (NGINX path)",
      operation: "sync the Ingress certificate from Key Vault",
      permission: "Microsoft.KeyVault/vaults/certificates/read",
      target: "certificate vault",
      role: "keyVaultCertificateUser",
      code: "k8s/src/canary-ingress.ts (Key Vault certificate annotation)",
    });
    if (publishes("nginx-canary")) {
      edge.push({
        actor: "app routing add-on (NGINX path)",
        operation: "publish the Ingress host's A record",
        permission: "Microsoft.Network/dnsZones/A/write",
        target: "dns zone",
        role: "dnsZoneContributor",
        code: "infra/src/aks-cluster-body.ts (dnsZoneResourceIds)",
      });
    }
  }
  const pipeline: Access[] = cfg.pipeline
    ? [
        {
          actor: "pipeline build jobs",
          operation: "push the serving and training images",
          permission: "Microsoft.ContainerRegistry/registries/push/write",
          target: "registry",
          role: "acrPush",
          code: ".github/workflows/mlops-pipeline.yml (push, train-image-push: docker push)",
        },
        {
          actor: "pipeline build jobs",
          operation: "read the registry's login server",
          permission: "Microsoft.ContainerRegistry/registries/read",
          target: "registry",
          role: "reader",
          code: ".github/workflows/mlops-pipeline.yml (az acr show)",
        },
        {
          actor: "pipeline build jobs",
          operation: "upload training data and download job outputs",
          permission: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
          target: "ml storage",
          role: "storageBlobDataContributor",
          code: ".github/scripts/azureml-train.sh (az ml data create, az ml job download)",
        },
        {
          actor: "pipeline build jobs",
          operation: "submit Azure ML command and sweep jobs, register the training environment",
          permission: "Microsoft.MachineLearningServices/workspaces/jobs/write",
          target: "ml workspace",
          role: "azureMlDataScientist",
          code: "training/src/cli/azureml.ts (mlops train --target azureml)",
        },
        {
          actor: "pipeline build jobs",
          operation: "register candidates and read the champion in the store",
          permission: `${COSMOS_ITEMS}/create`,
          target: "cosmos database",
          role: "cosmosDataContributor",
          code: "training/src/jobs/registry.ts (mlops train, mlops gate, mlops ab analyze)",
        },
        {
          actor: "pipeline deploy jobs",
          ...APPLY_KUBERNETES_OBJECTS,
          code: ".github/workflows/mlops-pipeline.yml (deploy, promote: pulumi up)",
        },
        {
          actor: "pipeline deploy jobs",
          operation: "define the stack's A/B experiment and record decisions",
          permission: `${COSMOS_ITEMS}/upsert`,
          target: "cosmos database",
          role: "cosmosDataContributor",
          code: "services/release/src/experiment.ts (mlops release experiment)",
        },
        {
          actor: "pipeline PR previews",
          operation: "list the cluster's user credentials for pulumi preview",
          permission: "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
          target: "cluster",
          role: "pipelinePreview",
          code: ".github/workflows/ci.yml (pulumi preview)",
          viaResourceManager: true,
        },
        {
          actor: "pipeline deploy jobs",
          operation: "read an API key and a canary token for the smoke test through the edge",
          permission: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
          target: "key vault",
          role: "keyVaultSecretsUser",
          code: ".github/scripts/with-smoke-credentials.sh (az keyvault secret show)",
        },
        ...(tls
          ? (["certificate vault", "dns zone"] as const).map(
              (target): Access => ({
                actor: "pipeline deploy jobs",
                operation: `grant the edge identities their roles on the ${target} (pulumi up)`,
                permission: "Microsoft.Authorization/roleAssignments/write",
                target,
                role: "roleBasedAccessControlAdministrator",
                code: "infra/src/serving.ts (grantEdgeAccess)",
                viaResourceManager: true,
              }),
            )
          : []),
      ]
    : [];
  return [...serving, ...training, ...platform, ...edge, ...pipeline];
}

/** Whether a role permission (with `*` wildcards) covers `permission`; case-insensitive, as RBAC. */
export function permits(rolePermission: string, permission: string): boolean {
  const pattern = rolePermission
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`, "i").test(permission);
}

/** Whether `role` carries `permission`. */
export const roleAllows = (role: GrantedRole, permission: string): boolean =>
  ROLE_PERMISSIONS[role].some((p) => permits(p, permission));
