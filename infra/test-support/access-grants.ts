/**
 * The access matrix (src/access.ts) against a program run under mocks: which role assignment
 * grants each row, so a suite can check that every operation is granted and nothing else is.
 * Shared by the suites that render the program as different callers (a laptop, the pipeline).
 */
import { COSMOS_LAYOUT, type StackConfig } from "@mlops/contracts";
import type { Access, Actor, Target } from "../src/access.js";
import { builtInRoles, COSMOS_DATA_CONTRIBUTOR_ROLE } from "../src/roles.js";
import { DEPLOYER_OBJECT_ID, SUBSCRIPTION } from "./azure-mocks.js";
import { ofType, one } from "./program.js";

/** The principal ids the mocks give each actor. */
export const PRINCIPALS: Record<Actor, string> = {
  "serving pods": "identity-serving-principal-id",
  "training jobs": "identity-training-principal-id",
  "KEDA operator": "identity-autoscaler-principal-id",
  "gateway edge (TLS sync, external-dns)": "identity-edge-principal-id",
  "app routing add-on (NGINX path)": "aks-cluster-app-routing-object-id",
  "AKS kubelet": "aks-cluster-kubelet-object-id",
  "AKS control plane": "aks-control-plane-principal-id",
  "platform engineer running pulumi up": DEPLOYER_OBJECT_ID,
  "pipeline build jobs": "pipeline-build-principal-id",
  "pipeline deploy jobs": "pipeline-deploy-principal-id",
  "pipeline PR previews": "pipeline-preview-principal-id",
};

/** The mock's id of a registered resource (azure-mocks.ts names ids after type and name). */
function idOf(type: string, name: string): string {
  const r = one(type, name);
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/platform/providers`;
  if (type === "azure-native:resources:Resource") {
    return `${group}/${r.inputs.resourceProviderNamespace}/${r.inputs.resourceType}/${r.inputs.resourceName}`;
  }
  const [, module, kind] = type.split(":");
  return `${group}/Microsoft.${module}/${kind}/${name}`;
}

/** The resource id each target has under mocks, for the stack config `cfg`. */
function targetId(target: Target, cfg: StackConfig): string {
  const id = idOf;
  const tls = cfg.serving.tls as Exclude<StackConfig["serving"]["tls"], "off">;
  switch (target) {
    case "registry":
      return id("azure-native:containerregistry:Registry", "registry-acr");
    case "cosmos database":
      return `${id("azure-native:cosmosdb:DatabaseAccount", "cosmos-account")}/dbs/${COSMOS_LAYOUT.defaultDatabase}`;
    case "ml storage":
      return id("azure-native:storage:StorageAccount", "ml-storage");
    case "ml workspace":
      return id("azure-native:machinelearningservices:Workspace", "ml-workspace");
    case "monitor workspace":
      return id("azure-native:monitor:AzureMonitorWorkspace", "telemetry-prometheus");
    case "aks subnet":
      return id("azure-native:network:Subnet", "network-aks");
    case "cluster":
      return id("azure-native:resources:Resource", "aks-cluster");
    case "certificate vault":
      return tls.certificateVaultId;
    case "dns zone":
      return tls.dnsZoneId;
    case "app insights":
      return id("azure-native:applicationinsights:Component", "telemetry-appinsights");
    case "key vault":
      return id("azure-native:keyvault:Vault", "vault-kv");
  }
}

/** A role assignment as the matrix reads it: principal, role (by key) and scope. */
export interface Grant {
  readonly name: string;
  readonly principalId: string;
  readonly role: string;
  readonly scope: string;
}

/** Every role assignment the program made: Azure RBAC and Cosmos DB's SQL ones. */
export function grants(): Grant[] {
  const builtIn = Object.entries(builtInRoles);
  // The one custom role: the mocks name a role definition's id after its resource.
  const custom = new Map(
    ofType("azure-native:authorization:RoleDefinition").map((r) => [r.name, "pipelinePreview"]),
  );
  const rbac = ofType("azure-native:authorization:RoleAssignment").map((r) => {
    const roleId = String(r.inputs.roleDefinitionId).split("/").pop();
    return {
      name: r.name,
      principalId: String(r.inputs.principalId),
      role:
        builtIn.find(([, id]) => id === roleId)?.[0] ??
        custom.get(roleId ?? "") ??
        `unknown ${roleId}`,
      scope: String(r.inputs.scope),
    };
  });
  const cosmos = ofType("azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map((r) => ({
    name: r.name,
    principalId: String(r.inputs.principalId),
    role: String(r.inputs.roleDefinitionId).endsWith(COSMOS_DATA_CONTRIBUTOR_ROLE)
      ? "cosmosDataContributor"
      : "unknown",
    scope: String(r.inputs.scope),
  }));
  return [...rbac, ...cosmos];
}

/** A scope covers a target when it is the target or one of its parents. */
const covers = (scope: string, target: string) =>
  target.toLowerCase() === scope.toLowerCase() ||
  target.toLowerCase().startsWith(`${scope.toLowerCase()}/`);

/** The assignment that grants `row` to its principal, if any. */
export const grantFor = (row: Access, cfg: StackConfig): Grant | undefined =>
  grants().find(
    (g) =>
      g.principalId === (row.principal ?? PRINCIPALS[row.actor]) &&
      g.role === row.role &&
      covers(g.scope, targetId(row.target, cfg)),
  );

/** The assignments no row of `matrix` needs: what the program grants beyond the matrix. */
export function unneededGrants(matrix: readonly Access[], cfg: StackConfig): Grant[] {
  const needed = new Set(matrix.map((row) => grantFor(row, cfg)?.name));
  return grants().filter((g) => !needed.has(g.name));
}

/**
 * The cluster admin assignment `name` as the engine diffs it: its parent and inputs. Equal in two
 * runs means the second leaves the assignment alone (cluster-admins.ts).
 */
export function clusterAdminGrant(name: string): { parent?: string; inputs: object } {
  const { parent, inputs } = one("azure-native:authorization:RoleAssignment", name);
  return { parent, inputs };
}

/** The deploy identity's cluster admin, as every run must declare it: a laptop's, the pipeline's. */
export const deployClusterAdminGrant = (): { parent?: string; inputs: object } => ({
  parent: "mlops:infra:AksCluster::aks",
  inputs: {
    scope: idOf("azure-native:resources:Resource", "aks-cluster"),
    principalId: PRINCIPALS["pipeline deploy jobs"],
    principalType: "ServicePrincipal",
    roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${builtInRoles.aksRbacClusterAdmin}`,
  },
});
