/**
 * Who reaches the estate, from stack config: the AKS API server (`apiServer`), the cluster's
 * admins (`aks.clusterAdmins`), the callers of the prediction API (`edgeAuth`) and the GitHub
 * workflows and Azure DevOps service connections that deploy the stack (`pipeline`). The
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
 * The kinds of pipeline job that each sign in as an identity of their own
 * (infra/src/pipeline-identities.ts).
 */
export const PIPELINE_ROLES = ["preview", "build", "deploy"] as const;
export type PipelineRole = (typeof PIPELINE_ROLES)[number];

/**
 * The longest subject a federated identity credential takes
 * (learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations).
 */
const MAX_SUBJECT_LENGTH = 600;

const CONTROL_CHARACTER = /\p{Cc}/u;
const isGuid = (value: string) => z.guid().safeParse(value).success;

/**
 * An organization name: English letters, digits and hyphens, starting and ending with a letter or
 * digit, at most 50 characters
 * (learn.microsoft.com/azure/devops/organizations/accounts/rename-organization).
 */
const ORGANIZATION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$/;

/**
 * Characters a project name must not contain
 * (learn.microsoft.com/azure/devops/organizations/settings/naming-restrictions, "Projects").
 */
const PROJECT_FORBIDDEN = /[/:\\~&%;@'"?<>|#$*}{,+=[\]]/;

/** Names a project must not have (same page): system-reserved, and IIS's hidden segments. */
const RESERVED_PROJECT_NAMES = new Set(
  [
    "AUX",
    "CON",
    "NUL",
    "PRN",
    ...Array.from({ length: 10 }, (_, i) => `COM${i + 1}`),
    ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
    "SERVER",
    "SignalR",
    "DefaultCollection",
    "Web",
    "App_Browsers",
    "App_code",
    "App_Data",
    "App_GlobalResources",
    "App_LocalResources",
    "App_Themes",
    "App_WebResources",
    "bin",
    "web.config",
  ].map((name) => name.toLowerCase()),
);

/** Why `name` cannot be a project's name (same page), or undefined when it can. */
function projectNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name.length > 64) return "has more than 64 characters";
  if (PROJECT_FORBIDDEN.test(name) || CONTROL_CHARACTER.test(name)) {
    return "contains a character project names exclude (/ : \\ ~ & % ; @ ' \" ? < > | # $ * } { , + = [ ] or a control character)";
  }
  if (name.startsWith("_") || name.startsWith(".") || name.endsWith(".")) {
    return "starts with '_' or '.', or ends with '.'";
  }
  if (RESERVED_PROJECT_NAMES.has(name.toLowerCase())) return "is a reserved name";
  return undefined;
}

/** `sc://<organization>/<project>/<service connection>`: the Azure DevOps issuer's subject. */
const AZURE_DEVOPS_SUBJECT = /^sc:\/\/([^/]*)\/([^/]*)\/(.*)$/s;
/** `<microsoft entra prefix>/sc/<organization id>/<service connection id>`: the Entra issuer's. */
const ENTRA_SUBJECT = /^\S+\/sc\/([^/\s]+)\/([^/\s]+)$/;

/**
 * A subject as read: which issuer signs the service connection's tokens, told by the form of its
 * subject identifier
 * (learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity, "Check the
 * issuer URL for accuracy"):
 * - `entra`, what new service connections use: issuer
 *   `https://login.microsoftonline.com/<tenant id>/v2.0`, subject
 *   `<microsoft entra prefix>/sc/<organization id>/<service connection id>`;
 * - `azureDevOps`: issuer `https://vstoken.dev.azure.com/<organization id>`, subject
 *   `sc://<organization name>/<project name>/<service connection name>`, which renaming any of the
 *   three breaks (same page, AADSTS70021). Microsoft retires it on 2027-07-01 for single-tenant
 *   apps and managed identities in Azure's public cloud, this estate's case: convert such a
 *   connection (learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections)
 *   and set its new subject.
 * An Entra subject names the organization by id, which the schema checks against `organizationId`.
 */
type SubjectReading =
  | { readonly issuer: "azureDevOps" }
  | { readonly issuer: "entra"; readonly organizationId: string }
  | { readonly problem: string };

/** What `subject` says, or why it is neither issuer's form. */
function readSubject(subject: string): SubjectReading {
  if (subject.length > MAX_SUBJECT_LENGTH) {
    return {
      problem: `has more than ${MAX_SUBJECT_LENGTH} characters, the most a federated credential takes`,
    };
  }
  const legacy = AZURE_DEVOPS_SUBJECT.exec(subject);
  if (legacy) {
    const [, organization = "", project = "", connection = ""] = legacy;
    if (!ORGANIZATION_NAME.test(organization)) {
      return {
        problem: `names organization '${organization}': an organization name is 1-50 English letters, digits or hyphens, starting and ending with a letter or digit`,
      };
    }
    const projectProblem = projectNameProblem(project);
    if (projectProblem) return { problem: `names project '${project}', which ${projectProblem}` };
    if (
      connection === "" ||
      connection.trim() !== connection ||
      CONTROL_CHARACTER.test(connection)
    ) {
      return {
        problem:
          "must end in the service connection's name, without surrounding spaces or control characters",
      };
    }
    return { issuer: "azureDevOps" };
  }
  const [, organizationId = "", connectionId = ""] = ENTRA_SUBJECT.exec(subject) ?? [];
  if (isGuid(organizationId) && isGuid(connectionId)) return { issuer: "entra", organizationId };
  return {
    problem:
      "must be the service connection's subject identifier as Azure DevOps shows it: <microsoft entra prefix>/sc/<organization id>/<service connection id> (Entra issuer), or sc://<organization>/<project>/<service connection> (Azure DevOps issuer)",
  };
}

/**
 * A subject identifier copied from its service connection: the subject, the issuer its form
 * tells, and for an Entra one the organization id it names.
 */
const ServiceConnectionSubjectSchema = z.string().transform((subject, ctx) => {
  const reading = readSubject(subject);
  if ("problem" in reading) {
    ctx.addIssue({ code: "custom", message: reading.problem });
    return z.NEVER;
  }
  return { ...reading, subject };
});

/**
 * Azure DevOps service connections (workload identity federation, "App registration or Managed
 * identity (manual)") that sign in as the pipeline's identities, at most one per identity as on the
 * GitHub side: `serviceConnections.<role>` is the connection's Subject identifier exactly as Azure
 * DevOps shows it (subjects are matched exactly: learn.microsoft.com/entra/workload-id/
 * workload-identity-federation-considerations); its issuer follows from its form
 * ({@link SubjectReading}).
 */
export const AzureDevOpsSchema = z
  .object({
    /** The organization's id: in an Azure DevOps issuer's URL and an Entra issuer's subject. */
    organizationId: z.guid({ error: "must be the Azure DevOps organization's id (a GUID)" }),
    serviceConnections: z
      .object(
        Object.fromEntries(
          PIPELINE_ROLES.map((role) => [role, ServiceConnectionSubjectSchema.optional()]),
        ) as Record<PipelineRole, z.ZodOptional<typeof ServiceConnectionSubjectSchema>>,
      )
      .refine((connections) => Object.values(connections).some(Boolean), {
        message: `needs at least one of ${PIPELINE_ROLES.join(", ")}`,
      }),
  })
  .superRefine(({ organizationId, serviceConnections }, ctx) => {
    const seen = new Map<string, PipelineRole>();
    for (const role of PIPELINE_ROLES) {
      const connection = serviceConnections[role];
      if (!connection) continue;
      const path = ["serviceConnections", role];
      // Only against a valid id: zod runs this refinement when organizationId alone failed too.
      if (
        connection.issuer === "entra" &&
        isGuid(organizationId) &&
        connection.organizationId.toLowerCase() !== organizationId.toLowerCase()
      ) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `names organization ${connection.organizationId}, not organizationId ${organizationId}`,
        });
      }
      const other = seen.get(connection.subject);
      if (other) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `repeats the subject of ${other}: a service connection signs in as one identity`,
        });
      }
      seen.set(connection.subject, role);
    }
  });
export type AzureDevOpsConfig = z.infer<typeof AzureDevOpsSchema>;
/** One service connection's federated credential, as the schema reads it. */
export type ServiceConnectionSubject = z.infer<typeof ServiceConnectionSubjectSchema>;

/**
 * The GitHub repository whose workflows deploy this stack, and the names their OIDC subjects
 * carry (`repo:<repository>:environment:<environment>` and so on; see
 * infra/src/pipeline-identities.ts); and the Azure DevOps service connections that sign in as the
 * same identities, if the stack is deployed from Azure DevOps too.
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
  /** Unset: the identities trust GitHub's subjects only. */
  azureDevOps: AzureDevOpsSchema.optional(),
});
export type PipelineConfig = z.infer<typeof PipelineSchema>;
