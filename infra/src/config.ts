import {
  AksSizingSchema,
  EstateSizingSchema,
  GARCH_CONFIG_KEY,
  type NodePool,
  SERVING_CONFIG_KEY,
  ServingReleaseSchema,
} from "@mlops/contracts";
import { DEFAULT_SCALING } from "@mlops/k8s";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { apiServerAccessSchema } from "./api-server-access.js";
import { cidrContains, cidrFirstAddresses, cidrSize, cidrsOverlap, isCidr } from "./cidr.js";
import { edgeAuthSchema } from "./edge-auth.js";
import { guardrailsSchema } from "./guardrails.js";
import { REGIONS_WITHOUT_ZONES } from "./regions.js";
import { undeclaredKeys } from "./undeclared-keys.js";

/**
 * Stack configuration, parsed once with zod at the edge of the program.
 * Every error names the config key (`mlops-platform:ml.minNodes`) and the rule that failed,
 * so a platform engineer can fix the stack file without reading this code.
 */

const cidr = z.string().refine(isCidr, { message: "must be an IPv4 CIDR such as 10.40.0.0/16" });

const networkSchema = z
  .object({
    addressSpace: cidr.default("10.40.0.0/16"),
    aksSubnet: cidr.default("10.40.0.0/20"),
    mlSubnet: cidr.default("10.40.16.0/22"),
    endpointsSubnet: cidr.default("10.40.20.0/24"),
    /** The self-hosted pipeline runners (only created when `pipeline` is configured). */
    runnerSubnet: cidr.default("10.40.21.0/24"),
    /** Overlay pod range: never routed in the VNet, but must not collide with it. */
    podCidr: cidr.default("192.168.0.0/16"),
    serviceCidr: cidr.default("172.16.0.0/16"),
    dnsServiceIp: z.ipv4().default("172.16.0.10"),
  })
  .superRefine((n, ctx) => {
    // A malformed range already has its own issue; comparing it would only add noise.
    const ranges = [
      n.addressSpace,
      n.aksSubnet,
      n.mlSubnet,
      n.endpointsSubnet,
      n.runnerSubnet,
      n.podCidr,
      n.serviceCidr,
    ];
    if (!ranges.every(isCidr)) return;
    for (const key of ["aksSubnet", "mlSubnet", "endpointsSubnet", "runnerSubnet"] as const) {
      if (!cidrContains(n.addressSpace, n[key])) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must lie inside addressSpace ${n.addressSpace}`,
        });
      }
    }
    const subnets = [
      ["aksSubnet", "mlSubnet"],
      ["aksSubnet", "endpointsSubnet"],
      ["mlSubnet", "endpointsSubnet"],
      ["aksSubnet", "runnerSubnet"],
      ["mlSubnet", "runnerSubnet"],
      ["endpointsSubnet", "runnerSubnet"],
    ] as const;
    for (const [a, b] of subnets) {
      if (cidrsOverlap(n[a], n[b])) {
        ctx.addIssue({ code: "custom", path: [b], message: `must not overlap ${a} ${n[a]}` });
      }
    }
    for (const key of ["podCidr", "serviceCidr"] as const) {
      if (cidrsOverlap(n.addressSpace, n[key])) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must not overlap addressSpace ${n.addressSpace}`,
        });
      }
    }
    // AKS (Azure CNI Overlay): the pod and service ranges must not overlap each other either.
    if (cidrsOverlap(n.podCidr, n.serviceCidr)) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceCidr"],
        message: `must not overlap podCidr ${n.podCidr}`,
      });
    }
    // A malformed address has its own issue (z.ipv4), and no range to be compared with.
    if (!z.ipv4().safeParse(n.dnsServiceIp).success) return;
    const dns = `${n.dnsServiceIp}/32`;
    if (!cidrContains(n.serviceCidr, dns)) {
      ctx.addIssue({
        code: "custom",
        path: ["dnsServiceIp"],
        message: `must lie inside serviceCidr ${n.serviceCidr}`,
      });
    } else if (cidrFirstAddresses(n.serviceCidr, 2).includes(n.dnsServiceIp)) {
      // AKS's rule: the range's first address names the range, and its second (.1) is the
      // kubernetes service's (kubernetes.default.svc), so neither can be the DNS service's.
      ctx.addIssue({
        code: "custom",
        path: ["dnsServiceIp"],
        message: `must not be one of the first two addresses of serviceCidr ${n.serviceCidr} (the range's own and the kubernetes service's)`,
      });
    }
  });

const aksSchema = AksSizingSchema.extend({
  /** Unset: AKS picks its default version, and the upgrade channel moves it. */
  kubernetesVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, "must look like 1.33 or 1.33.2")
    .optional(),
  upgradeChannel: z.enum(["patch", "stable", "rapid", "node-image"]).default("stable"),
  nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch", "Unmanaged"]).default("NodeImage"),
});

/**
 * Surge nodes an upgrade adds to each pool, in percent of the pool's size (aks-cluster-body.ts sets
 * it as `maxSurge`; ARM's AgentPoolUpgradeSettings: "for percentages, fractional nodes are rounded
 * up").
 */
export const NODE_POOL_MAX_SURGE_PERCENT = 33;

/** Addresses Azure keeps in every subnet: the first four and the last (Azure Virtual Network FAQ). */
const AZURE_RESERVED_SUBNET_ADDRESSES = 5;

/**
 * Node subnet addresses the pools may hold at once. With Azure CNI Overlay (aks-cluster-body.ts)
 * only nodes take addresses from the node subnet, pods take theirs from `podCidr`; an upgrade may
 * surge a pool that the autoscaler holds at its maximum.
 */
function nodeSubnetDemand(pools: readonly NodePool[]): number {
  return pools.reduce(
    (sum, p) => sum + p.maxCount + Math.ceil((p.maxCount * NODE_POOL_MAX_SURGE_PERCENT) / 100),
    0,
  );
}

/** An Azure resource id of `provider/type` (`/subscriptions/…/providers/<provider>/<type>/<name>`). */
function resourceIdOf(providerType: string) {
  const pattern = new RegExp(
    `^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/${providerType.replace("/", "\\/")}/[^/]+$`,
    "i",
  );
  return z.string().regex(pattern, `must be the resource id of a ${providerType} resource`);
}

/**
 * HTTPS for the public host: the Azure DNS zone its record goes to and the Key Vault certificate
 * it presents. Both exist outside this stack (shared DNS and certificate estates), so a destroyed
 * stack never takes them along and a new one finds them in place.
 */
const tlsSchema = z.object({
  /** Public Azure DNS zone the host belongs to. */
  dnsZoneId: resourceIdOf("Microsoft.Network/dnszones"),
  /** Key Vault (RBAC mode) holding the certificate. */
  certificateVaultId: resourceIdOf("Microsoft.KeyVault/vaults"),
  /** Certificate name in that vault; Key Vault allows 1–127 letters, digits and '-'. */
  certificateName: z
    .string()
    .regex(
      /^[0-9A-Za-z-]{1,127}$/,
      "must be a Key Vault certificate name (1–127 letters, digits, '-')",
    ),
});
export type TlsConfig = z.infer<typeof tlsSchema>;

/** The last segment of a resource id: the resource's name. */
export const resourceNameOf = (id: string): string => id.split("/").at(-1)!;

/**
 * The certificate's unversioned URI, so the routing add-on follows rotations (AKS docs,
 * app-routing-dns-ssl and app-routing-gateway-api-dns-tls, both ask for the URI without version).
 */
export function certificateUri(tls: TlsConfig): string {
  return `https://${resourceNameOf(tls.certificateVaultId)}.vault.azure.net/certificates/${tls.certificateName}`;
}

/** Whether `host` lies in the DNS zone TLS publishes records to. */
const inZone = (host: string, tls: TlsConfig): boolean =>
  `.${host}`.endsWith(`.${resourceNameOf(tls.dnsZoneId).toLowerCase()}`);

/** The most replicas one serving arm may scale to. */
const MAX_SERVING_REPLICAS = 100;

/**
 * The serving block: the settings releases move (image tags, models, canary weight, experiment id:
 * the contracts schema `@mlops/release` reads and writes) and those only this program reads.
 */
const servingSchema = z
  .object({
    ...ServingReleaseSchema.shape,
    /**
     * Whether the serving plane (deployments, split, autoscalers) is on the cluster. A first
     * deploy sets it false: the registry the images come from is created in that run, so the
     * tags below cannot exist yet; the pipeline pushes them, then sets it true (infra README).
     */
    enabled: z.boolean().default(true),
    /** Kubernetes namespace the serving stack lives in; the federated credentials name it. */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label"),
    /** Public host name the ingress answers on; the health check and smoke tests use it. */
    host: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        "must be a DNS name",
      ),
    /** Repository of the API image in the platform registry. */
    imageRepository: z
      .string()
      .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, "must be a registry repository path")
      .default("prediction-api"),
    /**
     * How the public split is implemented: `gateway` (Gateway API on the AKS application routing
     * add-on, the default) or `nginx-canary` (the ingress-nginx canary Ingress pair).
     */
    trafficSplit: z.enum(["gateway", "nginx-canary"]).default("gateway"),
    /**
     * The other implementation, run alongside without a DNS record while migrating (see the k8s
     * README, "Migrating from nginx-canary to gateway").
     */
    standbySplit: z.enum(["gateway", "nginx-canary"]).optional(),
    /** Share of traffic (percent) the split sends to the challenger, in either implementation. */
    canaryWeight: z.number().int().min(0).max(100),
    /** HTTPS and DNS for `host`, or `off` (plain HTTP, no record): only a non-prod stack may. */
    tls: z.union([z.literal("off"), tlsSchema], {
      error: "must be off or { dnsZoneId, certificateVaultId, certificateName }",
    }),
    minReplicas: z.number().int().min(1).default(DEFAULT_SCALING.minReplicas),
    /**
     * Per arm, so the namespace quota holds up to twice this plus rolling-update surge. 100 is
     * the GARCH service's ceiling too: a fleet that needs more wants a higher
     * `targetRequestsPerSecond` (bigger pods), not more of them.
     */
    maxReplicas: z
      .number()
      .int()
      .min(1)
      .max(MAX_SERVING_REPLICAS, `must be at most ${MAX_SERVING_REPLICAS} per arm`)
      .default(DEFAULT_SCALING.maxReplicas),
    /** Prediction requests per second one pod should carry before the autoscaler adds another. */
    targetRequestsPerSecond: z.number().positive().default(DEFAULT_SCALING.targetRequestsPerSecond),
  })
  .refine((s) => s.minReplicas <= s.maxReplicas, {
    message: "minReplicas must not exceed maxReplicas",
    path: ["minReplicas"],
  })
  .refine((s) => s.standbySplit !== s.trafficSplit, {
    message: "standbySplit must differ from trafficSplit",
    path: ["standbySplit"],
  })
  .refine((s) => s.tls === "off" || inZone(s.host, s.tls), {
    message: "host must lie in the DNS zone of tls.dnsZoneId",
    path: ["tls", "dnsZoneId"],
  });

/**
 * The GitHub repository whose workflows deploy this stack, and the names their OIDC subjects
 * carry (`repo:<repository>:environment:<environment>` and so on; see pipeline-identities.ts).
 */
const pipelineSchema = z.object({
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

/** An environment whose prediction API must not be open to anyone who finds it. */
const PROD_ENVIRONMENT = "prod";

/** The estate's sizing keys (shared with the cost estimate, `@mlops/contracts`) and the rest. */
const stackConfigSchema = EstateSizingSchema.extend({
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,15}$/, "must be 1–16 lowercase letters, digits or hyphens"),
  owner: z.string().min(1, "must name the owning team or person"),
  privateNetworking: z.boolean().default(true),
  /**
   * Bumped when a destroyed stack is created again, so no global name collides with a
   * soft-deleted vault still holding it (names.ts, infra README "Recreate after destroy").
   */
  generation: z.number().int().min(0).default(0),
  alertEmails: z.array(z.email()).min(1, "needs at least one address"),
  /**
   * Webhooks the action group calls besides the e-mails (an incident tool, a chat channel). A
   * URL that carries a token belongs in the stack as a secret (`pulumi config set --secret
   * --path`); the program hands every URL to Azure as a secret output either way.
   */
  alertWebhooks: z
    .array(
      z.object({
        name: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$/,
            "must be 1-64 letters, digits, spaces, '_' or '-'",
          ),
        url: z.url({ protocol: /^https$/, error: "must be an https URL" }),
      }),
    )
    .max(10)
    .default([]),
  network: networkSchema.prefault({}),
  aks: aksSchema,
  /** Required: a cluster API server open to the whole internet is never what a stack wants. */
  apiServer: apiServerAccessSchema,
  [SERVING_CONFIG_KEY]: servingSchema,
  /** Unset: no pipeline identities and no runner subnet (a stack nobody deploys from GitHub). */
  pipeline: pipelineSchema.optional(),
  /** Log Analytics daily cap and monthly budget: no stack goes without either. */
  guardrails: guardrailsSchema,
  /** Who may call the prediction API: API keys in Key Vault or Entra ID tokens. */
  edgeAuth: edgeAuthSchema.optional(),
})
  .refine((c) => !REGIONS_WITHOUT_ZONES.has(c.location), {
    message:
      "must be a region with availability zones: every node pool spreads over zones 1, 2 and 3 (regions.ts)",
    path: ["location"],
  })
  .refine((c) => c.environment !== PROD_ENVIRONMENT || c.serving.tls !== "off", {
    message:
      "a prod stack needs a DNS zone and a Key Vault certificate (tls: off is for dev stacks)",
    path: ["serving", "tls"],
  })
  .refine((c) => c.environment !== PROD_ENVIRONMENT || c.edgeAuth !== undefined, {
    message:
      "a prod stack must choose how callers authenticate: mode apiKeys (keys in Key Vault) or entra (tenantId, audience, appRole)",
    path: ["edgeAuth"],
  })
  .refine((c) => !c.garch || c.serving.tls === "off" || c.garch.certificateName !== undefined, {
    message: "with serving.tls on, the GARCH host needs its certificate (in the same vault)",
    path: [GARCH_CONFIG_KEY, "certificateName"],
  })
  .refine((c) => !c.garch || c.serving.tls === "off" || inZone(c.garch.host, c.serving.tls), {
    message: "host must lie in the DNS zone of serving.tls.dnsZoneId",
    path: [GARCH_CONFIG_KEY, "host"],
  })
  // Each host gets its own Gateway, routes and A record, and the GARCH paths overlap the API's:
  // one host would be two claims on one name, with either service answering its requests.
  .refine((c) => c.garch?.host !== c.serving.host, {
    message: "must differ from serving.host (one host cannot route to both services)",
    path: [GARCH_CONFIG_KEY, "host"],
  })
  .superRefine((c, ctx) => {
    // A malformed range already has its own issue.
    if (!isCidr(c.network.aksSubnet)) return;
    const usable = cidrSize(c.network.aksSubnet) - AZURE_RESERVED_SUBNET_ADDRESSES;
    const demand = nodeSubnetDemand([c.aks.systemPool, c.aks.userPool]);
    if (demand > usable) {
      ctx.addIssue({
        code: "custom",
        path: ["network", "aksSubnet"],
        message: `has ${usable} usable addresses (Azure keeps ${AZURE_RESERVED_SUBNET_ADDRESSES} per subnet) but the node pools need ${demand}: each pool's maxCount plus its ${NODE_POOL_MAX_SURGE_PERCENT} % upgrade surge`,
      });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type NodePoolConfig = NodePool;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type { CosmosCapacity } from "@mlops/contracts";
export type PipelineConfig = z.infer<typeof pipelineSchema>;

/** The keys this program reads from its own config namespace (everything but `location`). */
const programKeys = Object.keys(stackConfigSchema.shape).filter((k) => k !== "location");

/** Raised for stack config that fails validation; the message lists every offending key. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
}

/**
 * Where config values come from: Pulumi's config store in a program, a plain map in tests.
 * Values are the strings Pulumi stores: structured YAML values arrive as JSON text.
 */
export interface ConfigSource {
  /** The raw string for `key` in the program's namespace, or undefined when unset. */
  get(key: string): string | undefined;
  /** The Azure region (`azure-native:location`), or undefined when unset. */
  location(): string | undefined;
  /** Every key set in the program's namespace, when the source can list them. */
  keys?(): readonly string[];
}

/** The zod type of `schema` under its `optional`, `default` and `prefault` wrappers. */
function baseType(schema: z.core.$ZodType): string {
  const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType };
  return def.innerType ? baseType(def.innerType) : def.type;
}

/** Each program key's zod type: `string`, `number`, `boolean`, `object`, … */
const keyTypes: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(stackConfigSchema.shape).map(([key, schema]) => [key, baseType(schema)]),
);

/**
 * A raw value as its key's schema reads it. Pulumi hands every value over as a string: a string
 * as itself (so "1234" or "true" set as a string stays one), a number or boolean as its text (what
 * `getNumber` and `getBoolean` parse), an object or array (structured YAML, `--path`) as JSON.
 */
function decode(raw: string, type: string | undefined): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  return (typeof value === "object" && value !== null) || typeof value === type ? value : raw;
}

/** Parses stack config for project `project`, throwing a StackConfigError naming each bad key. */
export function parseStackConfig(source: ConfigSource, project: string): StackConfig {
  const raw: Record<string, unknown> = { location: source.location() };
  for (const key of programKeys) {
    const value = source.get(key);
    if (value !== undefined) raw[key] = decode(value, keyTypes[key]);
  }
  const result = stackConfigSchema.safeParse(raw, { reportInput: true });
  // A key the program does not read is a misspelling or a leftover: zod would drop it, and its
  // setting would silently keep the default.
  const undeclared = [
    ...(source.keys?.() ?? []).filter((key) => !programKeys.includes(key)).map((key) => [key]),
    ...undeclaredKeys(stackConfigSchema, raw),
  ];
  if (result.success && undeclared.length === 0) return result.data;
  const keyOf = ([head, ...rest]: string[]) => {
    const namespace = head === "location" ? "azure-native" : project;
    return [`${namespace}:${head}`, ...rest].join(".");
  };
  const lines = [
    ...(result.success ? [] : result.error.issues).map((issue) => {
      const missing = issue.code === "invalid_type" && issue.input === undefined;
      return `  ${keyOf(issue.path.map(String))}: ${missing ? "is required" : issue.message}`;
    }),
    ...undeclared.map(
      (path) => `  ${keyOf(path)}: is not a setting of this program (misspelt, or left over?)`,
    ),
  ];
  throw new StackConfigError(`invalid stack config:\n${lines.join("\n")}`);
}

/** Reads and validates the current stack's config from Pulumi. */
export function loadStackConfig(): StackConfig {
  const own = new pulumi.Config();
  const azure = new pulumi.Config("azure-native");
  const project = pulumi.getProject();
  const prefix = `${project}:`;
  return parseStackConfig(
    {
      get: (key) => own.get(key),
      location: () => azure.get("location"),
      keys: () =>
        Object.keys(pulumi.runtime.allConfig())
          .filter((key) => key.startsWith(prefix))
          .map((key) => key.slice(prefix.length)),
    },
    project,
  );
}
