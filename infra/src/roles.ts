import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as pulumi from "@pulumi/pulumi";

/**
 * Built-in Azure role definition ids. They are the same in every tenant, so they are constants
 * rather than look-ups; each one is the narrowest role that lets its holder do its job.
 * Ids: learn.microsoft.com/azure/role-based-access-control/built-in-roles.
 */
export const builtInRoles = {
  /** Pull images from a container registry. */
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  /** Push (and pull) images: the pipeline's image jobs. */
  acrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  /** Read a resource's control-plane properties (e.g. a registry's login server). */
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  /**
   * Work in an Azure ML workspace without managing it (no compute or workspace writes): submit
   * jobs, register environments, log runs; what training jobs and the pipeline's build need.
   */
  azureMlDataScientist: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
  /** Read secret contents from a Key Vault in RBAC mode. */
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  /** Join a subnet: what the AKS control plane needs on a bring-your-own subnet. */
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  /** Query an Azure Monitor workspace (managed Prometheus), as KEDA does to scale. */
  monitoringDataReader: "b0d8363b-8ddd-447d-831f-62ca05bff136",
  /** Read and write blobs: training jobs reach the ML storage account without keys. */
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  /** Full Kubernetes access through Azure RBAC: what `pulumi up` needs to deploy workloads. */
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
  /** Manage record sets of a DNS zone (not who may): external-dns publishing the public host. */
  dnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
  /**
   * Read certificate contents: what the routing add-on's own identity needs on its NGINX path
   * (AKS docs app-routing-dns-ssl, `--attach-kv`).
   */
  keyVaultCertificateUser: "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
  /**
   * Publish telemetry to Application Insights with an Entra token; despite the name it covers
   * all telemetry, not only metrics (learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
   */
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  /**
   * Create and delete role assignments, nothing else (MicrosoftDocs/azure-docs
   * articles/role-based-access-control/built-in-roles/privileged.md): always with a condition
   * that names the roles and principal types it may assign (pipeline-identities.ts).
   */
  roleBasedAccessControlAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
} as const;

export type BuiltInRole = keyof typeof builtInRoles;

/** The id of Cosmos DB's built-in "Data Contributor" SQL role, relative to its account. */
export const COSMOS_DATA_CONTRIBUTOR_ROLE = "00000000-0000-0000-0000-000000000002";

/** One role for one principal, on one resource. */
export interface RoleGrant {
  /** Resource id the role applies to; never a subscription or resource group. */
  scope: pulumi.Input<string>;
  /** Object id of the principal receiving the role. */
  principalId: pulumi.Input<string>;
  /** Which built-in role to grant. */
  role: BuiltInRole;
  /**
   * Set to ServicePrincipal for managed identities: Azure then skips the directory look-up that
   * fails while a fresh identity is still replicating.
   */
  principalType?: "ServicePrincipal" | "User" | "Group";
  /** An Azure ABAC condition (version 2.0) the assignment holds only under. */
  condition?: string;
}

/** The subscription segment of a resource id (`/subscriptions/<id>/…`). */
export function subscriptionOf(resourceId: string): string {
  const match = /^\/subscriptions\/([^/]+)\//i.exec(resourceId);
  if (!match) throw new Error(`not an Azure resource id: ${resourceId}`);
  return match[1];
}

/** Assigns a built-in role, scoped to the resource in `grant.scope`. */
export function grantRole(
  name: string,
  grant: RoleGrant,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
  const scope = pulumi.output(grant.scope);
  return new authorization.RoleAssignment(
    name,
    {
      scope,
      principalId: grant.principalId,
      principalType: grant.principalType,
      ...(grant.condition === undefined
        ? {}
        : { condition: grant.condition, conditionVersion: "2.0" }),
      roleDefinitionId: scope.apply(
        (s) =>
          `/subscriptions/${subscriptionOf(s)}/providers/Microsoft.Authorization/roleDefinitions/${builtInRoles[grant.role]}`,
      ),
    },
    opts,
  );
}
