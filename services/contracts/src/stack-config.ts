/**
 * The part of a Pulumi stack's config that two packages must agree on: the serving block
 * (`<project>:serving`) holds the champion and challenger image tags and model references, the
 * canary weight and the experiment id. The Pulumi program (`infra`) reads the block to deploy it;
 * releases (`@mlops/release`) read the same fields and write new values into them. Infra adds its
 * own keys to the block (namespace, host, replica bounds) by extending `ServingReleaseSchema`.
 */
import { z } from "zod";
import { PinnedModelRefTextSchema } from "./model-ref.js";
import { NameSchema } from "./primitives.js";

/** The stack-config object (under the project's namespace) that holds the serving settings. */
export const SERVING_CONFIG_KEY = "serving";

/** Tag syntax a registry accepts (OCI distribution spec): 1-128 characters. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Tags that are moved by convention, so they never identify one build (compared lower-cased). */
export const MOVING_IMAGE_TAGS: ReadonlySet<string> = new Set([
  "latest",
  "stable",
  "main",
  "master",
  "dev",
  "edge",
  "nightly",
]);

/** True when `tag` has a registry tag's syntax and is not one of the moving tags. */
export function isImmutableImageTag(tag: string): boolean {
  return IMAGE_TAG.test(tag) && !MOVING_IMAGE_TAGS.has(tag.toLowerCase());
}

/**
 * An image tag a deployment may pin: a registry tag that names one build (a version or a git
 * sha), so a pod restart never pulls other bits than the rollout tested.
 */
export const ImageTagSchema = z
  .string()
  .regex(IMAGE_TAG, {
    error:
      "must be an image tag: 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
  })
  .refine((tag) => !MOVING_IMAGE_TAGS.has(tag.toLowerCase()), {
    error: "must be an immutable image tag (a version or git sha), not a moving one like latest",
  });

/**
 * An Azure VM size as ARM spells it: `Standard_`, the family (and sub-family) letters, the vCPU
 * count (a constrained-core size adds `-<active cores>`), the lowercase feature letters, then
 * `_`-separated accelerator and version parts: Standard_D4ds_v5, Standard_E4-2s_v3,
 * Standard_NC24ads_A100_v4 (Azure docs, "Azure virtual machine sizes naming conventions",
 * learn.microsoft.com/azure/virtual-machines/vm-naming-conventions). AKS node pools and Azure
 * ML compute take only the Standard tier. Azure reads size names without regard to case (Azure
 * ML's own examples write STANDARD_DS3_V2), so the form is checked that way too.
 */
export const VmSizeSchema = z
  .string()
  .regex(
    /^Standard_[A-Z]+\d+(?:-\d+)?[A-Z]*(?:_[A-Z0-9]+)*$/i,
    "must be an Azure VM size name such as Standard_D4ds_v5",
  );

/** The serving settings a release reads and writes. */
export const ServingReleaseSchema = z.object({
  championImageTag: ImageTagSchema,
  challengerImageTag: ImageTagSchema,
  championModel: PinnedModelRefTextSchema,
  challengerModel: PinnedModelRefTextSchema,
  /** Percent of traffic the canary Ingress sends to the challenger. */
  canaryWeight: z.number().int().min(0).max(100),
  /** Experiment the two arms belong to (the A/B records carry it). */
  experimentId: NameSchema,
});
export type ServingRelease = z.infer<typeof ServingReleaseSchema>;
/** A setting of the serving block a release may change. */
export type ServingField = keyof ServingRelease;
