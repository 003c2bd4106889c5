/**
 * What the platform's guardrails are written in: resources as a policy engine sees them, rules
 * over one resource or over the whole stack, and the helpers they share. The CrossGuard pack
 * (index.ts) and the unit tests (the mocked program) feed the same rules.
 */

/** A resource as policies see it. */
export interface PolicyResource {
  /** Type token, e.g. `azure-native:keyvault:Vault`. */
  type: string;
  /** Logical (Pulumi) name. */
  name: string;
  /** Input properties. */
  props: Record<string, unknown>;
  /**
   * `type::name` of every resource this one depends on, explicitly or through the outputs its
   * inputs read. Stack rules link resources through these rather than through ids, which a
   * preview does not know yet for resources it has still to create.
   */
  dependencies?: readonly string[];
}

/** One guardrail: checks one resource and explains each breach. */
export interface ResourceRule {
  /** Policy name (kebab-case, as CrossGuard shows it). */
  name: string;
  /** What the rule protects and why. */
  description: string;
  /** Breach messages for `resource`; empty when it complies. */
  check(resource: PolicyResource): string[];
}

/** A guardrail over the whole stack: something must exist, or exist for every resource of a kind. */
export interface StackRule {
  /** Policy name (kebab-case, as CrossGuard shows it). */
  name: string;
  /** What the rule protects and why. */
  description: string;
  /** Breach messages for the stack; empty when it complies. */
  check(resources: readonly PolicyResource[]): string[];
}

/** The key a resource has in {@link PolicyResource.dependencies}. */
export const keyOf = (r: Pick<PolicyResource, "type" | "name">): string => `${r.type}::${r.name}`;

/** True when `r` depends on `target`. */
export const dependsOn = (r: PolicyResource, target: PolicyResource): boolean =>
  (r.dependencies ?? []).includes(keyOf(target));

/** True when `r` depends on some resource of `type` among `resources`. */
export const dependsOnType = (
  r: PolicyResource,
  type: string,
  resources: readonly PolicyResource[],
): boolean => resources.some((other) => other.type === type && dependsOn(r, other));

/** The value at `path` inside `obj`, undefined where the path leaves the object. */
export function get(obj: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
    obj,
  );
}

/** Which resources a rule applies to: a type token, or a predicate for generic resources. */
export type Target = string | ((r: PolicyResource) => boolean);

/** True when `r` is one of the resources `target` names. */
export const matches = (target: Target, r: PolicyResource): boolean =>
  typeof target === "string" ? r.type === target : target(r);

/**
 * An AKS cluster: the program declares it as the provider's generic resource at an explicit
 * ManagedCluster API version (infra/src/aks-cluster-body.ts), its settings under `properties`.
 */
export const isAksCluster = (r: PolicyResource): boolean =>
  r.type === "azure-native:resources:Resource" &&
  r.props.resourceProviderNamespace === "Microsoft.ContainerService" &&
  r.props.resourceType === "managedClusters";

/**
 * The ManagedCluster properties of `r`, whether it is the typed SDK resource or the provider's
 * generic `resources:Resource` sending a ManagedCluster body at a pinned API version.
 */
export function managedClusterProperties(r: PolicyResource): unknown {
  if (r.type === "azure-native:containerservice:ManagedCluster") return r.props;
  return isAksCluster(r) ? r.props.properties : undefined;
}

/** A flag a rule requires, with the reason shown when it is wrong. */
export interface RequiredFlag {
  path: readonly string[];
  value: boolean;
  why: string;
}

/** The breaches of `flags` in `props`, each naming the path of `name`. */
export function flagBreaches(
  name: string,
  props: unknown,
  flags: readonly RequiredFlag[],
): string[] {
  return flags
    .filter((f) => get(props, f.path) !== f.value)
    .map((f) => `${name}: ${f.path.join(".")} must be ${f.value} (${f.why})`);
}

/** A rule that applies to `target` and requires each path to hold exactly `true` or `false`. */
export function requireFlags(
  name: string,
  description: string,
  target: Target,
  flags: readonly RequiredFlag[],
): ResourceRule {
  return {
    name,
    description,
    check: (r) => (!matches(target, r) ? [] : flagBreaches(r.name, r.props, flags)),
  };
}
