/**
 * JSON-schema validators for custom resources, compiled from the CRD fixtures
 * (KEDA, Gateway API, application routing).
 *
 * The API server prunes fields a structural schema does not declare, so an
 * unknown field is not an error there but a setting that silently vanishes.
 * To catch it here, every object schema that lists `properties` and neither
 * `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` is closed
 * (`additionalProperties: false`) before compiling, and duplicate enum
 * values are merged.
 */
import { readFileSync } from "node:fs";
import AjvModule, { type ValidateFunction } from "ajv";
import { parse } from "yaml";

const Ajv = AjvModule.default;
type Schema = Record<string, unknown>;

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function closeObjects(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && value && typeof value === "object") {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, closeObjects(v)]),
      );
    } else if (key === "enum" && Array.isArray(value)) {
      // The published TriggerAuthentication CRD lists "none" twice; the API
      // server tolerates that, JSON Schema's meta-schema does not.
      out[key] = [...new Set(value)];
    } else if (
      (key === "items" || key === "additionalProperties") &&
      value &&
      typeof value === "object"
    ) {
      out[key] = closeObjects(value as Schema);
    } else {
      out[key] = value;
    }
  }
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The `openAPIV3Schema` of the served version `version` in a CRD file (Helm directives dropped). */
export function loadCrdSchema(path: URL, version: string): Schema {
  const text = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.includes("{{"))
    .join("\n");
  const crd = parse(text) as {
    spec: { versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[] };
  };
  const entry = crd.spec.versions.find((v) => v.name === version && v.served);
  if (!entry) throw new Error(`${path.pathname}: no served version ${version}`);
  return entry.schema.openAPIV3Schema;
}

/** Returns the schema violations of `object`, empty when it is valid. */
export type CrdValidator = (object: unknown) => string[];

function compile(schema: Schema): CrdValidator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max,
  });
  ajv.addFormat("date-time", {
    type: "string",
    validate: (s: string) => !Number.isNaN(Date.parse(s)),
  });
  const validate: ValidateFunction = ajv.compile(closeObjects(schema));
  return (object) =>
    validate(object)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`,
        );
}

/** A validator for one kind, and the CRD release it comes from. */
export interface CrdSchemaSource {
  /** Where the schema comes from, for error messages (e.g. `Gateway API v1.3.0`). */
  readonly source: string;
  readonly validate: CrdValidator;
}

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url);
const crd = (source: string, path: string, version: string): CrdSchemaSource => ({
  source,
  validate: compile(loadCrdSchema(fixture(path), version)),
});

/**
 * Gateway API bundles the objects must satisfy: the ones AKS's managed
 * installation puts on the Kubernetes lines the stack may run (v1.3.0 on
 * 1.34, v1.5.1 from 1.36; AKS docs "managed-gateway-api", "Supported
 * Kubernetes versions for Gateway API bundle versions"). The cluster follows
 * its upgrade channel, so a route must stay valid across them.
 */
export const GATEWAY_API_BUNDLES = ["v1.3.0", "v1.5.1"] as const;

const gatewayApi = (kind: "gateways" | "httproutes") =>
  GATEWAY_API_BUNDLES.map((bundle) =>
    crd(
      `Gateway API ${bundle} (standard)`,
      `gateway-api/${bundle}/gateway.networking.k8s.io_${kind}.yaml`,
      "v1",
    ),
  );

/** Validators per `apiVersion/kind` of the custom resources this package creates. */
export const crdValidators: ReadonlyMap<string, readonly CrdSchemaSource[]> = new Map([
  [
    "keda.sh/v1alpha1/ScaledObject",
    [crd("KEDA 2.16.1", "keda/crd-scaledobjects.yaml", "v1alpha1")],
  ],
  [
    "keda.sh/v1alpha1/TriggerAuthentication",
    [crd("KEDA", "keda/crd-triggerauthentications.yaml", "v1alpha1")],
  ],
  ["gateway.networking.k8s.io/v1/Gateway", gatewayApi("gateways")],
  ["gateway.networking.k8s.io/v1/HTTPRoute", gatewayApi("httproutes")],
  [
    "approuting.kubernetes.azure.com/v1alpha1/ClusterExternalDNS",
    [
      crd(
        "aks-app-routing-operator",
        "app-routing/approuting.kubernetes.azure.com_clusterexternaldnses.yaml",
        "v1alpha1",
      ),
    ],
  ],
]);
