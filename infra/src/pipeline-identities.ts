import type { PipelineConfig, PipelineRole, ServiceConnectionSubject } from "@mlops/contracts";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as pulumi from "@pulumi/pulumi";
import { grantToIdentity } from "./grants.js";
import { type IdentityRef, WORKLOAD_IDENTITY_AUDIENCE } from "./identity.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { type BuiltInRole, builtInRoles, grantRole, subscriptionOf } from "./roles.js";

/**
 * The identities the GitHub workflows sign in as, one per kind of job, each federated with
 * exactly one OIDC subject so no workflow can borrow another's rights:
 *
 * - `preview`: `pulumi preview` on pull requests (ci.yml). Subject `repo:<r>:pull_request`. It
 *   reads, lists the cluster's user credentials and reads Kubernetes objects (not Secrets), and
 *   writes nothing: anyone who can open a pull request runs code with it.
 * - `build`: train, the image pushes and the A/B analysis, on pushes to and schedules of the
 *   deploy branch. Subject `repo:<r>:ref:refs/heads/<branch>`. AcrPush, Azure ML jobs, the store.
 * - `deploy`: `pulumi up` in `deploy` and `promote`, which run only in the protected environment.
 *   Subject `repo:<r>:environment:<environment>`. Its resource-group-wide and subscription-wide
 *   roles are a bootstrap step (.github/README.md): the estate grants only per resource (policy
 *   `role-assignments-resource-scoped`). Per resource it may assign the serving edge's roles on
 *   the certificate vault and the DNS zone outside the stack ({@link EDGE_DELEGATED_ROLES}), and it
 *   holds cluster admin on the cluster on every run, whoever makes it (cluster-admins.ts).
 *
 * Subjects as GitHub documents them (docs.github.com/en/actions/reference/security/oidc:
 * "filtering for a specific environment", "filtering for pull_request events", "filtering for a
 * specific branch"). A job that names an environment gets the environment subject instead of the
 * branch one, which is what keeps `build` from deploying and `deploy` out of ungated jobs.
 *
 * With `pipeline.azureDevOps`, an identity also trusts the Azure DevOps service connection set for
 * its role: one more federated credential, with the issuer the connection's subject form tells
 * (@mlops/contracts stack-access.ts; learn.microsoft.com/azure/devops/pipelines/release/
 * troubleshoot-workload-identity, "Check the issuer URL for accuracy"). Unlike GitHub's, its
 * subject names no branch or environment: what gates it is the service connection's own approvals
 * and checks in Azure DevOps. Entra ID takes at most 20 federated credentials per user-assigned
 * identity (learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations);
 * these identities carry two at most.
 */

/** The issuer of GitHub Actions OIDC tokens. */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The issuer of an Azure DevOps service connection's tokens, by the form of its subject
 * (learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity, "Check the
 * issuer URL for accuracy"): Microsoft Entra's, of the tenant the identity lives in, or the
 * organization's own Azure DevOps issuer.
 */
export function azureDevOpsIssuer(
  connection: ServiceConnectionSubject,
  organizationId: string,
  tenantId: string,
): string {
  return connection.issuer === "entra"
    ? `https://login.microsoftonline.com/${tenantId}/v2.0`
    : `https://vstoken.dev.azure.com/${organizationId}`;
}

/**
 * What `pulumi preview` and `up` print for a service connection still on the Azure DevOps issuer,
 * which stops working for managed identities in Azure's public cloud on 2027-07-01.
 */
export const AZURE_DEVOPS_ISSUER_RETIREMENT =
  "uses the Azure DevOps issuer (https://vstoken.dev.azure.com), which Microsoft retires for managed identities on 2027-07-01 (learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections): convert the service connection to the Microsoft Entra issuer and set its new subject identifier here";

/** The `sub` claim of a GitHub Actions token for each pipeline role. */
export function githubSubjects(cfg: PipelineConfig): Record<PipelineRole, string> {
  const repo = `repo:${cfg.repository}`;
  return {
    preview: `${repo}:pull_request`,
    build: `${repo}:ref:refs/heads/${cfg.branch}`,
    deploy: `${repo}:environment:${cfg.environment}`,
  };
}

/**
 * What `pulumi preview` of this program calls beyond reading its own state, and the action each
 * needs: the invokes that run during a preview (`list*` functions POST, which Reader does not
 * allow). A test keeps this map equal to the `list*Output` invokes the program makes.
 */
export const PREVIEW_INVOKE_ACTIONS: Readonly<Record<string, string>> = {
  // learn.microsoft.com/azure/aks/concepts-identity: the Cluster User role's one action.
  listManagedClusterUserCredentialsOutput:
    "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
};

/**
 * The preview identity's custom role on the cluster. Control plane: read the cluster and list
 * its user credentials (the exec kubeconfig). Data plane: read every Kubernetes object the
 * program manages, CRDs included (KEDA's ScaledObject: `managedClusters/*\/read` is the only
 * way a custom role covers CRDs, learn.microsoft.com/azure/aks/manage-azure-rbac), but never
 * Secrets. Server-side-apply previews need `patch`, which this role lacks: the Kubernetes provider
 * falls back to a client-side preview (pulumi/pulumi-kubernetes#2419).
 */
export const PREVIEW_ROLE_PERMISSIONS = {
  actions: [
    "Microsoft.ContainerService/managedClusters/read",
    ...Object.values(PREVIEW_INVOKE_ACTIONS),
  ],
  notActions: [],
  dataActions: ["Microsoft.ContainerService/managedClusters/*/read"],
  notDataActions: ["Microsoft.ContainerService/managedClusters/secrets/read"],
} as const;

/**
 * The roles the deploy identity may assign on the serving edge's certificate vault and DNS zone,
 * which live outside the stack (`serving.tls`): those serving.ts (`grantEdgeAccess`) gives the
 * edge identities there, for either data plane, so a change of plane needs no new grant.
 */
export const EDGE_DELEGATED_ROLES = {
  certificateVault: ["keyVaultSecretsUser", "keyVaultCertificateUser"],
  dnsZone: ["dnsZoneContributor"],
} as const satisfies Record<string, readonly BuiltInRole[]>;

/**
 * The condition of a Role Based Access Control Administrator assignment that lets its holder add
 * or remove assignments of `roles` to service principals (managed identities) and nothing else:
 * the "Constrain roles and principal types" example of MicrosoftDocs/azure-docs
 * articles/role-based-access-control/delegate-role-assignments-examples.md.
 */
export function delegationCondition(roles: readonly BuiltInRole[]): string {
  const ids = roles.map((role) => builtInRoles[role]).join(", ");
  const only = (source: "Request" | "Resource") =>
    `@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}} AND @${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}`;
  const action = (verb: "write" | "delete") =>
    `!(ActionMatches{'Microsoft.Authorization/roleAssignments/${verb}'})`;
  return `((${action("write")}) OR (${only("Request")})) AND ((${action("delete")}) OR (${only("Resource")}))`;
}

export interface PipelineIdentitiesArgs extends PlacementArgs {
  /** Repository, environment and branch the subjects name; Azure DevOps service connections. */
  pipeline: PipelineConfig;
}

/** The ids of a user-assigned identity, as an {@link IdentityRef} carries them. */
const identityIds = (identity: managedidentity.UserAssignedIdentity) => ({
  id: identity.id,
  clientId: identity.clientId,
  principalId: identity.principalId,
});

/** The three identities and their federated credentials; roles come from {@link grantPipelineAccess}. */
export class PipelineIdentities extends pulumi.ComponentResource {
  readonly preview: IdentityRef;
  readonly build: IdentityRef;
  readonly deploy: IdentityRef;
  /** The GitHub subject each identity trusts. */
  readonly subjects: Record<PipelineRole, string>;

  constructor(name: string, args: PipelineIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:PipelineIdentities", name, {}, opts);
    const placement = placementOf(args);
    this.subjects = githubSubjects(args.pipeline);
    const azureDevOps = args.pipeline.azureDevOps;
    // An Entra-issued service connection token names the identity's tenant: the deployer's.
    const tenantId = azureDevOps && authorization.getClientConfigOutput({ parent: this }).tenantId;

    const create = (role: PipelineRole): IdentityRef => {
      const identity = new managedidentity.UserAssignedIdentity(`${name}-${role}`, placement, {
        parent: this,
      });
      const github = new managedidentity.FederatedIdentityCredential(
        `${name}-${role}-github`,
        {
          resourceGroupName: args.resourceGroupName,
          resourceName: identity.name,
          issuer: GITHUB_OIDC_ISSUER,
          subject: this.subjects[role],
          audiences: [WORKLOAD_IDENTITY_AUDIENCE],
        },
        { parent: this },
      );
      const connection = azureDevOps?.serviceConnections[role];
      if (!azureDevOps || !connection || !tenantId) {
        return { ...identityIds(identity), federation: [github] };
      }
      if (connection.issuer === "azureDevOps") {
        pulumi.log.warn(
          `pipeline.azureDevOps.serviceConnections.${role} ${AZURE_DEVOPS_ISSUER_RETIREMENT}`,
          this,
        );
      }
      const serviceConnection = new managedidentity.FederatedIdentityCredential(
        `${name}-${role}-azure-devops`,
        {
          resourceGroupName: args.resourceGroupName,
          resourceName: identity.name,
          issuer: tenantId.apply((tenant) =>
            azureDevOpsIssuer(connection, azureDevOps.organizationId, tenant),
          ),
          subject: connection.subject,
          audiences: [WORKLOAD_IDENTITY_AUDIENCE],
        },
        // Azure rejects concurrent writes of federated credentials on one identity (409; the
        // considerations page above, "Concurrent updates aren't supported").
        { parent: this, dependsOn: [github] },
      );
      return { ...identityIds(identity), federation: [github, serviceConnection] };
    };
    this.preview = create("preview");
    this.build = create("build");
    this.deploy = create("deploy");

    this.registerOutputs({
      previewClientId: this.preview.clientId,
      buildClientId: this.build.clientId,
      deployClientId: this.deploy.clientId,
    });
  }

  /** The principals that read and write the store: the build jobs and the deploy jobs. */
  storeWriters(): Record<string, pulumi.Output<string>> {
    return { build: this.build.principalId, deploy: this.deploy.principalId };
  }
}

/** Resources the pipeline identities are granted roles on. */
export interface PipelineScopes {
  /** The resource group: the preview role is defined (not assigned) here. */
  resourceGroupId: pulumi.Input<string>;
  registryId: pulumi.Input<string>;
  mlWorkspaceId: pulumi.Input<string>;
  clusterId: pulumi.Input<string>;
  /** The identity Azure ML jobs run as: it logs their runs to the workspace's MLflow. */
  trainingPrincipalId: pulumi.Input<string>;
  /** The serving edge's certificate vault and DNS zone (`serving.tls`); undefined with `tls: off`. */
  edge?: { certificateVaultId: string; dnsZoneId: string };
}

/**
 * Per-resource roles: `build` pushes images (AcrPush, and Reader for the login server) and runs
 * Azure ML jobs (AzureML Data Scientist; the training identity those jobs run as has its own
 * grant, ml-workspace.ts); the preview identity gets its read-only custom role on the cluster;
 * `deploy` may assign the edge's roles on the certificate vault and the DNS zone, so its
 * `pulumi up` can grant the edge identities there (Role Based Access Control Administrator under
 * {@link delegationCondition}). These are created by whoever runs `pulumi up` first with `tls`
 * set: the bootstrap's laptop run (.github/README.md), since the deploy identity cannot grant
 * itself. Role ids: learn.microsoft.com/azure/role-based-access-control/built-in-roles.
 */
export function grantPipelineAccess(
  name: string,
  identities: PipelineIdentities,
  scopes: PipelineScopes,
): void {
  const opts = { parent: identities };
  const b = identities.build.principalId;
  grantToIdentity(`${name}-build-acr-push`, scopes.registryId, "acrPush", b, opts);
  grantToIdentity(`${name}-build-acr-reader`, scopes.registryId, "reader", b, opts);
  grantToIdentity(`${name}-build-ml`, scopes.mlWorkspaceId, "azureMlDataScientist", b, opts);
  if (scopes.edge) {
    const delegate = (target: string, scope: string, roles: readonly BuiltInRole[]) =>
      grantRole(
        `${name}-deploy-${target}-delegation`,
        {
          scope,
          principalId: identities.deploy.principalId,
          role: "roleBasedAccessControlAdministrator",
          principalType: "ServicePrincipal",
          condition: delegationCondition(roles),
        },
        opts,
      );
    delegate(
      "certificate-vault",
      scopes.edge.certificateVaultId,
      EDGE_DELEGATED_ROLES.certificateVault,
    );
    delegate("dns-zone", scopes.edge.dnsZoneId, EDGE_DELEGATED_ROLES.dnsZone);
  }
  const previewRole = new authorization.RoleDefinition(
    `${name}-preview-role`,
    {
      scope: scopes.resourceGroupId,
      // Role names are unique in the tenant: one per resource group.
      roleName: pulumi
        .output(scopes.resourceGroupId)
        .apply((id) => `pulumi preview (read-only), ${id.split("/").at(-1)}`),
      description:
        "What `pulumi preview` of the platform needs and nothing that writes: read the cluster, list its user credentials, read Kubernetes objects except Secrets.",
      roleType: "CustomRole",
      permissions: [
        {
          actions: [...PREVIEW_ROLE_PERMISSIONS.actions],
          notActions: [...PREVIEW_ROLE_PERMISSIONS.notActions],
          dataActions: [...PREVIEW_ROLE_PERMISSIONS.dataActions],
          notDataActions: [...PREVIEW_ROLE_PERMISSIONS.notDataActions],
        },
      ],
      assignableScopes: [scopes.resourceGroupId],
    },
    opts,
  );
  new authorization.RoleAssignment(
    `${name}-preview-cluster`,
    {
      scope: scopes.clusterId,
      principalId: identities.preview.principalId,
      principalType: "ServicePrincipal",
      // Custom role ids are subscription-level whatever scope defined them.
      roleDefinitionId: pulumi
        .all([scopes.resourceGroupId, previewRole.name])
        .apply(
          ([rg, guid]) =>
            `/subscriptions/${subscriptionOf(rg)}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
        ),
    },
    opts,
  );
}
