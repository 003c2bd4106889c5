/**
 * JSON-schema validators for KEDA objects, compiled from the CRD fixtures.
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

const fixtures = new URL("../fixtures/keda/", import.meta.url);

/** Validators per `apiVersion/kind` of the KEDA kinds this package creates. */
export const kedaValidators: ReadonlyMap<string, CrdValidator> = new Map([
  [
    "keda.sh/v1alpha1/ScaledObject",
    compile(loadCrdSchema(new URL("crd-scaledobjects.yaml", fixtures), "v1alpha1")),
  ],
  [
    "keda.sh/v1alpha1/TriggerAuthentication",
    compile(loadCrdSchema(new URL("crd-triggerauthentications.yaml", fixtures), "v1alpha1")),
  ],
]);
