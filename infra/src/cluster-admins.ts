/**
 * Who holds Azure Kubernetes Service RBAC Cluster Admin on the cluster: what `pulumi up` needs to
 * apply the Kubernetes objects (local accounts are off, aks.ts), and what people need to operate
 * the cluster by hand.
 *
 * A role assignment's principal cannot change in place. A single grant to whoever runs
 * `pulumi up` was therefore replaced at every switch between a laptop and the pipeline: the
 * previous principal lost cluster admin, and the run's own Kubernetes calls could be refused
 * while the new assignment propagated, which can take up to 10 minutes (MicrosoftDocs/azure-docs
 * articles/role-based-access-control/troubleshooting.md, "Role assignment changes are not being
 * detected"). So the principals that run `pulumi up` again and again hold permanent grants,
 * declared on every run whoever runs it:
 *
 * - the pipeline's deploy identity, on a stack with `pipeline` config (pipeline-identities.ts);
 * - the users and Entra groups listed in `aks.clusterAdmins` (contracts' stack-access.ts).
 *
 * Whoever else runs `pulumi up` gets a grant of its own, `<name>-caller-admin`, so a first
 * deploy from a laptop works with no extra config. A resource cannot be declared or left out
 * on an Output's value, and the caller's object id is one (an invoke), so whether the caller
 * needs that grant is decided from what is known before anything is declared
 * ({@link deployerOf}, {@link callerNeedsGrant}): a pipeline run never has one (its identity
 * holds a permanent grant), a laptop run has one while `aks.clusterAdmins` lists no one. Once
 * it lists someone, a laptop run is expected from a listed user (or a member of a listed group):
 * declaring the caller's grant too would assign a listed caller the same role twice, which Azure
 * refuses (RoleAssignmentExists). A caller's own grant lasts until the next run that declares
 * none (the pipeline's next `pulumi up`, say). For the same reason a person whose own grant is
 * still in the state cannot be listed in the same run: the listed grant is created before the
 * caller's is deleted (infra README, "Cluster admins").
 */
import type { ClusterAdmins, StackConfig } from "@mlops/contracts";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { grantRole, type RoleGrant } from "./roles.js";

/**
 * Who runs this `pulumi up` (or `pulumi preview`), as far as the program can tell before it
 * declares anything: one of the pipeline's identities, or a person (a laptop, `az login`).
 */
export type Deployer = "pipeline" | "person";

/**
 * The workflows' jobs that run Pulumi sign azure-native in with the job's GitHub OIDC token
 * (`ARM_USE_OIDC: "true"` in ci.yml and mlops-pipeline.yml), and on a stack with `pipeline`
 * config the identities federated with those jobs are the pipeline's own. A laptop signs in
 * through the Azure CLI. Claiming the pipeline can only take a grant away from the run (its
 * Kubernetes calls are then refused), never give one.
 */
export function deployerOf(
  env: Readonly<Record<string, string | undefined>>,
  cfg: Pick<StackConfig, "pipeline">,
): Deployer {
  return env.ARM_USE_OIDC?.toLowerCase() === "true" && cfg.pipeline !== undefined
    ? "pipeline"
    : "person";
}

/** Whether the run's caller needs a grant of its own: no permanent grant is meant for it. */
export const callerNeedsGrant = (listed: ClusterAdmins, deployer: Deployer): boolean =>
  deployer === "person" && listed.users.length === 0 && listed.groups.length === 0;

export interface ClusterAdminsArgs {
  /** Users and groups, by Entra object id (`aks.clusterAdmins`). */
  listed: ClusterAdmins;
  /** The pipeline's deploy identity, on a stack with `pipeline` config. */
  pipelineDeployPrincipalId?: pulumi.Input<string>;
  /** Grant whoever runs `pulumi up` ({@link callerNeedsGrant}). */
  grantCaller: boolean;
}

/**
 * Grants cluster admin on `clusterId` to each principal of `admins`; returns the assignments,
 * which the Kubernetes provider waits for (whichever of them is this run's caller's).
 *
 * Each assignment names its principal's type, which Azure checks (UnmatchedPrincipalType), and
 * azure-native's RoleAssignment states `User` when given none. So the caller's grant assumes a
 * person, as the single `<name>-deployer-admin` before it did; it takes that resource over (an
 * alias), so the person the last laptop run left there keeps the assignment rather than being
 * assigned the role a second time (RoleAssignmentExists).
 */
export function grantClusterAdmins(
  name: string,
  clusterId: pulumi.Input<string>,
  admins: ClusterAdminsArgs,
  parent: pulumi.Resource,
): authorization.RoleAssignment[] {
  const grant = (
    holder: string,
    principalId: pulumi.Input<string>,
    principalType: RoleGrant["principalType"],
    aliases: pulumi.Alias[] = [],
  ) =>
    grantRole(
      `${name}-${holder}-admin`,
      { scope: clusterId, principalId, role: "aksRbacClusterAdmin", principalType },
      { parent, aliases },
    );
  const deploy = admins.pipelineDeployPrincipalId;
  return [
    ...(deploy === undefined ? [] : [grant("pipeline-deploy", deploy, "ServicePrincipal")]),
    ...admins.listed.users.map((id) => grant(id, id, "User")),
    ...admins.listed.groups.map((id) => grant(id, id, "Group")),
    ...(admins.grantCaller
      ? [
          grant("caller", authorization.getClientConfigOutput({ parent }).objectId, "User", [
            { name: `${name}-deployer-admin` },
          ]),
        ]
      : []),
  ];
}
