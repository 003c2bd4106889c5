/**
 * The parts of a stack's config that decide what the estate costs, read by the Pulumi program
 * (`infra`, which builds the estate from them) and by `@mlops/release`'s cost estimate (which
 * prices them): node pools and their autoscaler bounds, the Azure ML compute cluster, Cosmos DB
 * throughput, log retention, the GARCH service, and the SKUs the program fixes. Defined once
 * here so the estimate prices exactly what `pulumi up` creates.
 */
import { z } from "zod";
import { PinnedModelRefTextSchema } from "./model-ref.js";
import { ImageTagSchema, VmSizeSchema } from "./stack-config.js";

/** ISO-8601 durations as Azure ML and Azure Monitor accept them (PT15M, PT1H, P1D). */
export const IsoDurationSchema = z
  .string()
  .regex(
    /^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/,
    "must be an ISO-8601 duration such as PT15M",
  )
  .refine((s) => s !== "P" && !s.endsWith("T"), "must be an ISO-8601 duration such as PT15M");

/** A VM pool that the cluster autoscaler may resize between `minCount` and `maxCount`. */
export const NodePoolSchema = z
  .object({
    vmSize: VmSizeSchema,
    minCount: z.number().int().min(1).max(1000),
    maxCount: z.number().int().min(1).max(1000),
  })
  .refine((p) => p.minCount <= p.maxCount, {
    message: "minCount must not exceed maxCount",
    path: ["maxCount"],
  });
export type NodePool = z.infer<typeof NodePoolSchema>;

/** AKS cluster-management tier: Free (no SLA, no fee), Standard or Premium (per cluster-hour). */
export const AksTierSchema = z.enum(["Free", "Standard", "Premium"]).default("Standard");

/** The Azure ML compute cluster: scales between `minNodes` (0: idle costs nothing) and `maxNodes`. */
export const MlComputeSchema = z
  .object({
    vmSize: VmSizeSchema,
    vmPriority: z.enum(["Dedicated", "LowPriority"]).default("Dedicated"),
    minNodes: z.number().int().min(0).default(0),
    maxNodes: z.number().int().min(1).max(1000),
    idleTimeBeforeScaleDown: IsoDurationSchema.default("PT15M"),
  })
  .refine((m) => m.minNodes <= m.maxNodes, {
    message: "minNodes must not exceed maxNodes",
    path: ["minNodes"],
  });
export type MlCompute = z.infer<typeof MlComputeSchema>;

/** Cosmos DB throughput: serverless (per request unit) or autoscale up to `maxThroughput` RU/s. */
export const CosmosCapacitySchema = z.discriminatedUnion("capacity", [
  z.object({ capacity: z.literal("serverless") }),
  z.object({
    capacity: z.literal("autoscale"),
    /** Autoscale scales between 10 % of this and this; Cosmos wants steps of 1000 RU/s. */
    maxThroughput: z
      .number()
      .int()
      .min(1000)
      .max(1_000_000)
      .refine((n) => n % 1000 === 0, "must be a multiple of 1000 RU/s"),
  }),
]);
export type CosmosCapacity = z.infer<typeof CosmosCapacitySchema>;

/** Throughput when a stack sets none. */
export const DEFAULT_COSMOS_CAPACITY: CosmosCapacity = { capacity: "serverless" };

/** Days Log Analytics keeps data: 30–730. */
export const LogRetentionDaysSchema = z.number().int().min(30).max(730).default(30);

/** The stack-config object (`<project>:garch`) of the GARCH volatility service; absent: none. */
export const GARCH_CONFIG_KEY = "garch";

/**
 * The GARCH volatility service (`MLOPS_MODE=garch`) on the cluster: the serving image at its own
 * tag, the model `/predict` serves by default, its own host and namespace, and CPU autoscaling.
 */
export const GarchServiceConfigSchema = z
  .object({
    /** Public host the service answers on (its paths overlap the prediction API's). */
    host: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        "must be a DNS name",
      ),
    /**
     * Its certificate, in the vault of the serving block's `tls` (required when that is on; the
     * host must then lie in the same DNS zone). Key Vault allows 1–127 letters, digits and '-'.
     */
    certificateName: z
      .string()
      .regex(
        /^[0-9A-Za-z-]{1,127}$/,
        "must be a Key Vault certificate name (1–127 letters, digits, '-')",
      )
      .optional(),
    /** Namespace the service gets to itself. */
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label")
      .default("garch"),
    /** Tag of the serving image (the prediction API's repository) the service runs. */
    imageTag: ImageTagSchema,
    /** The default model, pinned (`name@version` or `name@alias`). */
    model: PinnedModelRefTextSchema,
    minReplicas: z.number().int().min(1).default(2),
    maxReplicas: z.number().int().min(1).max(100).default(10),
    /** Average CPU utilisation (percent of the pods' request) the autoscaler holds. */
    cpuUtilizationPercent: z.number().int().min(1).max(100).default(70),
  })
  .refine((g) => g.minReplicas <= g.maxReplicas, {
    message: "minReplicas must not exceed maxReplicas",
    path: ["minReplicas"],
  });
export type GarchServiceConfig = z.infer<typeof GarchServiceConfigSchema>;

/** An Azure region name, as `azure-native:location` holds it. */
export const AzureRegionSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]+$/, "must be an Azure region name such as westeurope");

/** The AKS keys that decide what the cluster costs: its tier and node pools. */
export const AksSizingSchema = z.object({
  skuTier: AksTierSchema,
  systemPool: NodePoolSchema,
  userPool: NodePoolSchema,
});

/**
 * The stack-config keys that decide what the estate costs, with their defaults: the cost
 * estimate reads exactly these, and `infra` extends them with the rest of the stack config.
 */
export const EstateSizingSchema = z.object({
  location: AzureRegionSchema,
  aks: AksSizingSchema,
  ml: MlComputeSchema,
  cosmos: CosmosCapacitySchema.prefault(DEFAULT_COSMOS_CAPACITY),
  logRetentionDays: LogRetentionDaysSchema,
  /** Unset: no GARCH volatility service. */
  [GARCH_CONFIG_KEY]: GarchServiceConfigSchema.optional(),
});
export type EstateSizing = z.infer<typeof EstateSizingSchema>;

/**
 * What one GARCH service pod requests: half a core (what its CPU autoscaler's utilisation is
 * measured against; a fit of posted returns is CPU-bound) and 512 MiB. k8s sets the pods' requests
 * from it and the cost estimate prices the node capacity it reserves.
 */
export const GARCH_POD_REQUESTS = { cpuMillis: 500, memoryMiB: 512 } as const;

/**
 * SKUs the program fixes rather than reads: private endpoints need a Premium registry; artifacts
 * sit in zone-redundant storage; Log Analytics bills pay-as-you-go per GB.
 */
export const ESTATE_SKUS = {
  registry: "Premium",
  storage: "Standard_ZRS",
  logAnalytics: "PerGB2018",
} as const;
