/**
 * Validates captured Kubernetes objects: core kinds with kubernetes-models
 * (the OpenAPI schema kubernetes-models 5.1 is generated from: Kubernetes 1.36,
 * which it shows by carrying 1.36's PodSchedulingGroup), custom resources (KEDA,
 * Gateway API, application routing, Secrets Store CSI driver) with their CRD
 * schemas (see fixtures/).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { crdValidators } from "./crd-schema.js";

/** The Kubernetes version the schemas come from (kubernetes-models 5.1). */
export const KUBERNETES_SCHEMA_VERSION = "1.36.0";

// biome-ignore lint/suspicious/noExplicitAny: validators take arbitrary Kubernetes JSON.
type Validate = (object: Record<string, any>) => void;
const model =
  // biome-ignore lint/suspicious/noExplicitAny: each model class takes its own input type.
    (Model: new (data: any) => { validate(): void }): Validate =>
    (object) =>
      new Model(object).validate();

/**
 * The ObjectMeta schema kubernetes-models compiles (its apimachinery package, resolved beside
 * kubernetes-models, which depends on it; ESM-only since kubernetes-models 5, so imported by file).
 */
const objectMeta = (await import(
  pathToFileURL(
    join(
      dirname(createRequire(import.meta.url).resolve("kubernetes-models/package.json")),
      "..",
      "@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta.js",
    ),
  ).href
)) as {
  validate: ((data: unknown) => boolean) & { errors?: unknown[] | null };
};

function assertObjectMeta(field: string, meta: unknown): void {
  if (!objectMeta.validate(meta)) {
    throw new Error(`${field}: ${JSON.stringify(objectMeta.validate.errors)}`);
  }
}

/**
 * A Deployment patch as this package writes them: object metadata and pod-template metadata
 * only (a restart), each valid ObjectMeta; anything else is refused, since a partial spec cannot
 * be checked against the Deployment schema's required fields.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
function validateDeploymentPatch(patch: Record<string, any>): void {
  assertObjectMeta("metadata", patch.metadata);
  const keys = (o: object | undefined) => Object.keys(o ?? {}).join(",");
  if (keys(patch.spec) !== "template" || keys(patch.spec.template) !== "metadata") {
    throw new Error("spec: a Deployment patch may only set spec.template.metadata");
  }
  assertObjectMeta("spec.template.metadata", patch.spec.template.metadata);
}

/**
 * The program only reads CRDs (the AKS add-ons install them, src/addon-crds.ts): a
 * CustomResourceDefinition it registers must carry no object to apply.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
function validateCrdRead(object: Record<string, any>): void {
  const fields = Object.keys(object).filter((k) => object[k] !== undefined);
  if (fields.length > 0) {
    throw new Error(
      `a CustomResourceDefinition is only ever read here (the add-ons own them), yet it sets ${fields.join(", ")}`,
    );
  }
}

const core: Record<string, Validate> = {
  "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": validateCrdRead,
  "kubernetes:core/v1:Namespace": model(Namespace),
  "kubernetes:core/v1:ConfigMap": model(ConfigMap),
  "kubernetes:core/v1:ServiceAccount": model(ServiceAccount),
  "kubernetes:core/v1:Secret": model(Secret),
  // A ServiceAccount has no required fields besides metadata: a patch is checked as one.
  "kubernetes:core/v1:ServiceAccountPatch": model(ServiceAccount),
  "kubernetes:apps/v1:DeploymentPatch": validateDeploymentPatch,
  "kubernetes:core/v1:Service": model(Service),
  "kubernetes:core/v1:ResourceQuota": model(ResourceQuota),
  "kubernetes:core/v1:LimitRange": model(LimitRange),
  "kubernetes:apps/v1:Deployment": model(Deployment),
  "kubernetes:policy/v1:PodDisruptionBudget": model(PodDisruptionBudget),
  "kubernetes:networking.k8s.io/v1:Ingress": model(Ingress),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": model(NetworkPolicy),
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": model(HorizontalPodAutoscaler),
};

/** The object as the API server receives it: Pulumi's secret wrappers replaced by their values. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  // Pulumi's marker of a secret value in registered inputs: `{[sigKey]: secretSig, value}`.
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
    return unwrapSecrets(record.value);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** Throws if `object` (registered as `type`) is not valid; also throws for a kind with no validator. */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary Kubernetes JSON.
export function validateObject(type: string, registeredObject: Record<string, any>): void {
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary Kubernetes JSON.
  const object = unwrapSecrets(registeredObject) as Record<string, any>;
  const validate = core[type];
  if (validate) {
    validate(object);
    return;
  }
  const schemas = crdValidators.get(`${object.apiVersion}/${object.kind}`);
  if (!schemas) throw new Error(`no validator for ${type}`);
  const errors = schemas.flatMap((s) => s.validate(object).map((e) => `${s.source}: ${e}`));
  if (errors.length > 0) {
    throw new Error(`${type} ${object.metadata?.name}: ${errors.join("; ")}`);
  }
}
