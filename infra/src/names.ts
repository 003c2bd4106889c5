import { createHash } from "node:crypto";

/**
 * Azure names for the resources whose names are global (DNS) or tightly limited. Pulumi's
 * auto-naming does not know these limits, so they are derived here from project and stack:
 * any Pulumi stack name (up to 100 letters, digits, `-`, `_`, `.`) gives valid names, and a hash
 * of project and stack keeps two stacks from claiming the same global name.
 */
export interface AzureNames {
  /** Storage account for the Azure ML workspace: 3–24 lowercase letters and digits. */
  storageAccount: string;
  /** Container registry: 5–50 letters and digits. */
  registry: string;
  /** Key Vault: 3–24 letters, digits and single hyphens, starting with a letter. */
  keyVault: string;
  /** Cosmos DB account: 3–44 lowercase letters, digits and hyphens. */
  cosmosAccount: string;
  /** Azure ML workspace: 3–33 letters, digits, hyphens and underscores. */
  mlWorkspace: string;
  /** AKS cluster: 1–63 letters, digits, hyphens and underscores. */
  aksCluster: string;
  /** AKS DNS prefix: 1–54 letters, digits and hyphens, alphanumeric at both ends. */
  aksDnsPrefix: string;
  /**
   * The AKS node resource group, when AKS's own name for it would be too long (see
   * {@link nodeResourceGroupName}): 1–63 characters of a resource group name.
   */
  aksNodeResourceGroup: string;
}

/** The rule each name must satisfy, as the Azure resource providers state them. */
export const namingRules: Record<keyof AzureNames, { pattern: RegExp; rule: string }> = {
  storageAccount: { pattern: /^[a-z0-9]{3,24}$/, rule: "3–24 lowercase letters and digits" },
  registry: { pattern: /^[a-zA-Z0-9]{5,50}$/, rule: "5–50 letters and digits" },
  keyVault: {
    pattern: /^(?=.{3,24}$)[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    rule: "3–24 letters, digits and single hyphens, starting with a letter and ending alphanumeric",
  },
  cosmosAccount: {
    pattern: /^(?=.{3,44}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    rule: "3–44 lowercase letters, digits and hyphens, alphanumeric at both ends",
  },
  mlWorkspace: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/,
    rule: "3–33 letters, digits, hyphens and underscores, starting alphanumeric",
  },
  aksCluster: {
    pattern: /^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/,
    rule: "1–63 letters, digits, hyphens and underscores, alphanumeric at both ends",
  },
  aksDnsPrefix: {
    pattern: /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,52}[a-zA-Z0-9])?$/,
    rule: "1–54 letters, digits and hyphens, alphanumeric at both ends",
  },
  aksNodeResourceGroup: {
    pattern: /^[a-zA-Z0-9_().-]{0,62}[a-zA-Z0-9_()-]$/,
    rule: "1–63 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period",
  },
};

const SUFFIX_LENGTH = 8;

/** Lowercase letters and digits only. */
function alphanumeric(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Lowercase letters, digits and single inner hyphens. */
function hyphenated(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** `prefix` + as much of `body` as fits + `separator` + hash, never ending in a hyphen. */
function fit(prefix: string, body: string, separator: string, hash: string, max: number): string {
  const room = max - prefix.length - separator.length - hash.length;
  const head = `${prefix}${body.slice(0, room)}`.replace(/-+$/, "");
  return `${head}${separator}${hash}`;
}

/**
 * Derives every limited Azure name for `project`/`stack`; deterministic across runs.
 *
 * `generation` (stack config `mlops-platform:generation`, default 0) re-derives every global name
 * for a stack created again after `pulumi destroy`: a deleted Key Vault keeps its name for its
 * soft-delete retention (purge protection on, 90 days here; Key Vault docs, soft-delete
 * overview), a deleted Cosmos DB account or registry may keep theirs for a while too, so the
 * recreated stack must not ask for them. Generation 0 keeps the names of earlier releases.
 */
export function azureNames(project: string, stack: string, generation = 0): AzureNames {
  const hash = createHash("sha256")
    .update(generation === 0 ? `${project}/${stack}` : `${project}/${stack}/${generation}`)
    .digest("hex")
    .slice(0, SUFFIX_LENGTH);
  const compact = alphanumeric(stack);
  const dashed = hyphenated(stack);
  const dashedBody = dashed === "" ? "" : `-${dashed}`;
  return {
    storageAccount: fit("mlst", compact, "", hash, 24),
    registry: fit("mlcr", compact, "", hash, 50),
    keyVault: fit("kv", dashedBody, "-", hash, 24),
    cosmosAccount: fit("cosmos", dashedBody, "-", hash, 44),
    mlWorkspace: fit("mlw", dashedBody, "-", hash, 33),
    aksCluster: fit("aks", dashedBody, "-", hash, 63),
    aksDnsPrefix: fit("aks", dashedBody, "-", hash, 54),
    aksNodeResourceGroup: fit("MC_aks", dashedBody, "-", hash, NODE_RESOURCE_GROUP_EXPLICIT_MAX),
  };
}

/**
 * The longest node resource group name AKS accepts: longer ones fail cluster creation with "The
 * length of the node resource group name is too long. The maximum length is 80" (the service's
 * error, quoted in Azure-Terraform/terraform-azurerm-kubernetes#33 and rancher/rancher#21264).
 */
export const NODE_RESOURCE_GROUP_MAX = 80;

/**
 * How long an explicit node resource group name may be: 63, well inside the 80 above, since a
 * report has AKS with Azure CNI Overlay also using the name as a node label value, which
 * Kubernetes caps at 63 (Azure/bicep-registry-modules#5109; an issue report, not Azure docs).
 */
const NODE_RESOURCE_GROUP_EXPLICIT_MAX = 63;

/**
 * The `nodeResourceGroup` to ask AKS for: undefined (AKS's own `MC_<group>_<cluster>_<region>`)
 * when that fits {@link NODE_RESOURCE_GROUP_MAX}, else the bounded `explicit` name. The name can
 * be chosen only when the cluster is created and never changed (MicrosoftDocs/azure-aks-docs
 * articles/aks/faq.yml, "Can I provide my own name for the AKS node resource group?"), so a
 * cluster whose default name fits keeps it: no existing stack's cluster changes.
 */
export function nodeResourceGroupName(
  resourceGroup: string,
  cluster: string,
  location: string,
  explicit: string,
): string | undefined {
  const aksDefault = `MC_${resourceGroup}_${cluster}_${location}`;
  return aksDefault.length <= NODE_RESOURCE_GROUP_MAX ? undefined : explicit;
}

/** The names among `names` that break their rule, as messages; empty when all are valid. */
export function namingViolations(names: Partial<AzureNames>): string[] {
  return Object.entries(names).flatMap(([kind, name]) => {
    const { pattern, rule } = namingRules[kind as keyof AzureNames];
    return name !== undefined && !pattern.test(name)
      ? [`${kind} name "${name}" breaks the rule: ${rule}`]
      : [];
  });
}
