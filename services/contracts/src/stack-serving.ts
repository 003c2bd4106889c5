/**
 * The stack's serving block (`<project>:serving`) as the Pulumi program reads it: the settings
 * releases move (`ServingReleaseSchema`, stack-config.ts) and those only the program reads (the
 * namespace, host, traffic split, TLS and replica bounds).
 */
import { z } from "zod";
import { DEFAULT_SCALING, MIN_SCALING_TARGET } from "./scaling.js";
import { ServingReleaseSchema } from "./stack-config.js";

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
const TlsSchema = z.object({
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
export type TlsConfig = z.infer<typeof TlsSchema>;

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
export const inZone = (host: string, tls: TlsConfig): boolean =>
  `.${host}`.endsWith(`.${resourceNameOf(tls.dnsZoneId).toLowerCase()}`);

/** The most replicas one serving arm may scale to. */
const MAX_SERVING_REPLICAS = 100;

/**
 * The serving block: the settings releases move (image tags, models, canary weight, experiment id:
 * the contracts schema `@mlops/release` reads and writes) and those only the Pulumi program reads.
 */
export const ServingStackSchema = z
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
    tls: z.union([z.literal("off"), TlsSchema], {
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
    targetRequestsPerSecond: z
      .number()
      .min(
        MIN_SCALING_TARGET,
        `must be at least ${MIN_SCALING_TARGET} (one milli-request a second)`,
      )
      .default(DEFAULT_SCALING.targetRequestsPerSecond),
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
