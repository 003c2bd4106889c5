/**
 * Who reaches the estate, from stack config: the AKS API server (`apiServer`), the cluster's
 * admins (`aks.clusterAdmins`), the callers of the prediction API (`edgeAuth`) and the GitHub
 * workflows that deploy the stack (`pipeline`). The
 * Pulumi program (`infra`) builds the cluster profile, the Key Vault secrets and the federated
 * identities from these; the schemas live here so releases check a stack file the same way.
 */
import { z } from "zod";
import { isCidr } from "./cidr.js";

/**
 * Who can reach the AKS API server. Either private (reachable only from the VNet and peered
 * networks), or public but limited to listed IPv4 ranges: the platform team's egress and the
 * pipeline runners' egress (the in-VNet runners leave through a NAT gateway whose address the
 * stack exports). AKS allows up to 200 ranges and refuses them on private clusters
 * (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges, "Limitations and considerations").
 * In a non-private cluster the nodes' own API server traffic leaves through the cluster's outbound
 * type (AKS docs nat-gateway and egress-outboundtype: "API server cluster traffic is routed and
 * processed through the clusters outbound type"), here the node subnet's NAT gateway, so its
 * address is admitted too (infra/src/api-server-access.ts).
 */

/** Most authorized ranges AKS accepts (same source). */
export const MAX_AUTHORIZED_RANGES = 200;

/** True for a range that lets every address through, which defeats the restriction. */
const opensEverything = (cidr: string) => cidr.endsWith("/0");

const authorizedRange = z
  .string()
  .refine(isCidr, { message: "must be an IPv4 CIDR such as 203.0.113.0/28" })
  .refine((c) => !opensEverything(c), {
    message: "must not be a /0 range: that is a public API server with extra steps",
  });

export const ApiServerAccessSchema = z.discriminatedUnion("access", [
  z.object({ access: z.literal("private") }),
  z.object({
    access: z.literal("authorizedIpRanges"),
    authorizedIpRanges: z
      .array(authorizedRange)
      .min(1, "needs at least one range (the runners' and the platform team's egress)")
      .max(MAX_AUTHORIZED_RANGES, `AKS accepts at most ${MAX_AUTHORIZED_RANGES} ranges`),
  }),
]);
export type ApiServerAccess = z.infer<typeof ApiServerAccessSchema>;

/**
 * Most principals `aks.clusterAdmins` lists: each is a role assignment on the cluster, and a team
 * larger than this belongs in an Entra group, listed once.
 */
export const MAX_CLUSTER_ADMINS = 20;

/** Entra object ids, lowercased as Entra spells them. */
const ObjectIdsSchema = z
  .array(
    z.guid({ error: "must be an Entra object id (a GUID)" }).transform((id) => id.toLowerCase()),
  )
  .default([]);

/**
 * Users and Entra groups that hold Azure Kubernetes Service RBAC Cluster Admin on the cluster for
 * good, by object id (`az ad signed-in-user show --query id`,
 * `az ad group show --group <name> --query id`), besides the pipeline's deploy identity
 * (infra/src/cluster-admins.ts). Users and groups are listed apart because a role assignment
 * states its principal's type, and Azure refuses one whose type is not the principal's
 * (UnmatchedPrincipalType). An id listed twice would assign the same role to the same principal
 * twice, which Azure refuses too (RoleAssignmentExists).
 */
export const ClusterAdminsSchema = z
  .object({ users: ObjectIdsSchema, groups: ObjectIdsSchema })
  .superRefine((admins, ctx) => {
    const listed = (["users", "groups"] as const).flatMap((kind) =>
      admins[kind].map((id, i) => ({ id, at: `${kind}.${i}`, path: [kind, i] })),
    );
    if (listed.length > MAX_CLUSTER_ADMINS) {
      ctx.addIssue({
        code: "custom",
        message: `lists at most ${MAX_CLUSTER_ADMINS} users and groups together: list a group for a larger team`,
      });
    }
    listed.forEach(({ id, path }, n) => {
      const first = listed.find((other) => other.id === id);
      if (first && listed.indexOf(first) !== n) {
        ctx.addIssue({ code: "custom", path, message: `repeats ${id}, listed at ${first.at}` });
      }
    });
  })
  .prefault({});
export type ClusterAdmins = z.infer<typeof ClusterAdminsSchema>;

/**
 * Who may call the prediction API from the internet (`edgeAuth`): API keys kept in Key Vault, or
 * Entra ID access tokens of a tenant carrying an app role. A prod stack must choose one
 * (stack-schema.ts). Either way the canary override's trust tokens live in Key Vault.
 */
export const EdgeAuthSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("apiKeys") }),
  z.object({
    mode: z.literal("entra"),
    /** Tenant whose tokens are accepted. */
    tenantId: z.uuid({ error: "must be the tenant's id (a GUID)" }),
    /** The API's application ID URI (`api://…`) or client id: the tokens' audience. */
    audience: z.string().min(1).max(256),
    /** App role callers must be assigned, e.g. `Predictions.Invoke`. */
    appRole: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/, "must be an app role value"),
  }),
]);
export type EdgeAuthConfig = z.infer<typeof EdgeAuthSchema>;

/**
 * The GitHub repository whose workflows deploy this stack, and the names their OIDC subjects
 * carry (`repo:<repository>:environment:<environment>` and so on; see
 * infra/src/pipeline-identities.ts).
 */
export const PipelineSchema = z.object({
  /**
   * `owner/name` as the repository's OIDC subject claims spell it: for repositories created after
   * 2026-06-18 (or opted in) that is the immutable form with ids, `owner-123/name-456`.
   */
  repository: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/,
      "must be owner/name of a GitHub repository",
    ),
  /** The protected environment `deploy` and `promote` run in. */
  environment: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, "must be a GitHub environment name")
    .default("production"),
  /** The branch whose pushes and schedules train, build and analyse. */
  branch: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/, "must be a branch name")
    .default("main"),
});
export type PipelineConfig = z.infer<typeof PipelineSchema>;
