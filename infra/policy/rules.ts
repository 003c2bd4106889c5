import { type AzureNames, namingRules } from "../src/names.js";
import { edgeRules } from "./edge-rules.js";
import { guardrailRules } from "./guardrail-rules.js";
import {
  flagBreaches,
  get,
  isAksCluster,
  managedClusterProperties,
  matches,
  type PolicyResource,
  type RequiredFlag,
  type ResourceRule,
  requireFlags,
  type StackRule,
  type Target,
} from "./rule-kit.js";

export type { PolicyResource, ResourceRule, StackRule } from "./rule-kit.js";
export { isAksCluster } from "./rule-kit.js";

/**
 * The platform's guardrails as pure functions over resources as a policy engine sees them (type
 * token, logical name, input properties, dependencies). The CrossGuard pack in index.ts runs them
 * on every `pulumi preview --policy-pack infra/policy`; the unit tests run them on the mocked
 * program. The edge's rules live in edge-rules.ts, those of state and cost in guardrail-rules.ts.
 */

/** Tags every taggable resource carries (see placement.ts). */
export const REQUIRED_TAGS = ["project", "environment", "owner"] as const;

/**
 * azure-native types this program uses whose ARM resources take no tags (sub-resources,
 * extension resources and role assignments). Anything else from azure-native must be tagged;
 * rules.test.ts checks each entry against the SDK's argument types.
 */
export const UNTAGGABLE = [
  "azure-native:authorization:ManagementLockByScope",
  "azure-native:authorization:RoleAssignment",
  "azure-native:authorization:RoleDefinition",
  "azure-native:consumption:Budget",
  "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  "azure-native:managedidentity:FederatedIdentityCredential",
  "azure-native:monitor:DataCollectionRuleAssociation",
  "azure-native:monitor:DiagnosticSetting",
  "azure-native:monitor:SubscriptionDiagnosticSetting",
  "azure-native:network:PrivateDnsZoneGroup",
  "azure-native:network:Subnet",
  "azure-native:storage:BlobServiceProperties",
] as const;
const UNTAGGABLE_TYPES: ReadonlySet<string> = new Set(UNTAGGABLE);

export const acrNoAdminUser = requireFlags(
  "acr-no-admin-user",
  "Container registries have the shared admin user disabled; pulls and pushes use Entra identities.",
  "azure-native:containerregistry:Registry",
  [{ path: ["adminUserEnabled"], value: false, why: "the admin user is a shared password" }],
);

export const keyVaultRbacPurgeProtection = requireFlags(
  "keyvault-rbac-purge-protection",
  "Key Vaults use Azure RBAC (no access policies) and keep deleted secrets recoverable.",
  "azure-native:keyvault:Vault",
  [
    {
      path: ["properties", "enableRbacAuthorization"],
      value: true,
      why: "access is granted by role, per resource",
    },
    {
      path: ["properties", "enablePurgeProtection"],
      value: true,
      why: "a deleted vault must stay recoverable",
    },
    {
      path: ["properties", "enableSoftDelete"],
      value: true,
      why: "deleted secrets must stay recoverable",
    },
  ],
);

export const cosmosLocalAuthDisabled = requireFlags(
  "cosmos-local-auth-disabled",
  "Cosmos DB accounts accept Entra ID only; account keys are disabled.",
  "azure-native:cosmosdb:DatabaseAccount",
  [
    {
      path: ["disableLocalAuth"],
      value: true,
      why: "account keys grant full data access to anyone holding them",
    },
    {
      path: ["disableKeyBasedMetadataWriteAccess"],
      value: true,
      why: "resource locks bind clients using account keys only when it is on",
    },
  ],
);

/** What aksIdentityHardening requires of a cluster's properties. */
const AKS_IDENTITY_FLAGS: readonly RequiredFlag[] = [
  {
    path: ["disableLocalAccounts"],
    value: true,
    why: "the local admin kubeconfig bypasses Entra ID",
  },
  {
    path: ["aadProfile", "enableAzureRBAC"],
    value: true,
    why: "Kubernetes access is granted as Azure roles",
  },
  {
    path: ["oidcIssuerProfile", "enabled"],
    value: true,
    why: "workload identity trusts the cluster's issuer",
  },
  {
    path: ["securityProfile", "workloadIdentity", "enabled"],
    value: true,
    why: "pods sign in without secrets",
  },
];

/** Checks the typed ManagedCluster and a generic resource carrying a ManagedCluster body alike. */
export const aksIdentityHardening: ResourceRule = {
  name: "aks-no-local-accounts-workload-identity",
  description:
    "AKS clusters disable local accounts, authorize with Azure RBAC and run workload identity.",
  check: (r) => {
    const cluster = managedClusterProperties(r);
    return cluster === undefined ? [] : flagBreaches(r.name, cluster, AKS_IDENTITY_FLAGS);
  },
};

export const requiredTags: ResourceRule = {
  name: "required-tags",
  description: `Every taggable Azure resource carries the ${REQUIRED_TAGS.join(", ")} tags.`,
  check: (r) => {
    if (!r.type.startsWith("azure-native:") || UNTAGGABLE_TYPES.has(r.type)) return [];
    // Log Analytics saved searches carry their tags as `{name, value}` pairs.
    const raw = r.props.tags ?? {};
    const tags = (
      Array.isArray(raw)
        ? Object.fromEntries(raw.map((t: { name?: unknown; value?: unknown }) => [t.name, t.value]))
        : raw
    ) as Record<string, unknown>;
    const missing = REQUIRED_TAGS.filter((t) => typeof tags[t] !== "string" || tags[t] === "");
    return missing.length === 0 ? [] : [`${r.name}: missing tag(s) ${missing.join(", ")}`];
  },
};

/** Where each limited name sits in a resource's inputs. */
const NAME_FIELDS: readonly { target: Target; path: readonly string[]; kind: keyof AzureNames }[] =
  [
    {
      target: "azure-native:storage:StorageAccount",
      path: ["accountName"],
      kind: "storageAccount",
    },
    { target: "azure-native:containerregistry:Registry", path: ["registryName"], kind: "registry" },
    { target: "azure-native:keyvault:Vault", path: ["vaultName"], kind: "keyVault" },
    {
      target: "azure-native:cosmosdb:DatabaseAccount",
      path: ["accountName"],
      kind: "cosmosAccount",
    },
    {
      target: "azure-native:machinelearningservices:Workspace",
      path: ["workspaceName"],
      kind: "mlWorkspace",
    },
    { target: isAksCluster, path: ["resourceName"], kind: "aksCluster" },
    { target: isAksCluster, path: ["properties", "dnsPrefix"], kind: "aksDnsPrefix" },
  ];

export const azureNamingLimits: ResourceRule = {
  name: "azure-naming-limits",
  description:
    "Globally unique and length-limited Azure names are set explicitly and fit their rules.",
  check: (r) =>
    NAME_FIELDS.filter((f) => matches(f.target, r)).flatMap(({ path, kind }) => {
      const value = get(r.props, path);
      const field = path.join(".");
      const { pattern, rule } = namingRules[kind];
      if (typeof value !== "string")
        return [`${r.name}: ${field} must be set explicitly (${rule})`];
      return pattern.test(value) ? [] : [`${r.name}: ${field} "${value}" breaks the rule: ${rule}`];
    }),
};

/** A resource id below a resource group, i.e. a resource (or a resource group's child), never wider. */
const RESOURCE_SCOPE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/i;

export const roleAssignmentsResourceScoped: ResourceRule = {
  name: "role-assignments-resource-scoped",
  description:
    "Role assignments are scoped to one resource, never to a subscription or resource group.",
  check: (r) => {
    if (
      r.type !== "azure-native:authorization:RoleAssignment" &&
      r.type !== "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
    ) {
      return [];
    }
    const scope = r.props.scope;
    return typeof scope === "string" && RESOURCE_SCOPE.test(scope)
      ? []
      : [
          `${r.name}: scope "${String(scope)}" must be a resource id, not a subscription or resource group`,
        ];
  },
};

export const rules: readonly ResourceRule[] = [
  acrNoAdminUser,
  keyVaultRbacPurgeProtection,
  cosmosLocalAuthDisabled,
  aksIdentityHardening,
  requiredTags,
  azureNamingLimits,
  roleAssignmentsResourceScoped,
  ...edgeRules.resource,
  ...guardrailRules.resource,
];

/** The rules that judge the stack as a whole. */
export const stackRules: readonly StackRule[] = [...edgeRules.stack, ...guardrailRules.stack];

/** Every breach of every resource rule over `resources`, as `rule: message` lines. */
export function violations(
  resources: readonly PolicyResource[],
  only: readonly ResourceRule[] = rules,
): string[] {
  return resources.flatMap((r) =>
    only.flatMap((rule) => rule.check(r).map((m) => `${rule.name}: ${m}`)),
  );
}

/** Every breach of every stack rule over `resources`, as `rule: message` lines. */
export function stackViolations(
  resources: readonly PolicyResource[],
  only: readonly StackRule[] = stackRules,
): string[] {
  return only.flatMap((rule) => rule.check(resources).map((m) => `${rule.name}: ${m}`));
}
