/**
 * The serving stack as the k8s tests render it: the prod-like arguments, and
 * a function that renders a `ServingStack` under the mocks harness and
 * returns the objects it registered. Importing this module installs the
 * mocks (project `mlops`, stack `test`), so a test that imports it needs no
 * set-up of its own: no resource exists before a test body runs.
 */
import { parseServingConfig, type ServingConfig } from "@mlops/contracts";
import * as k8s from "@pulumi/kubernetes";
import type { ServingStackArgs } from "../src/serving-stack.js";
import {
  installMocks,
  type Registered,
  registered,
  resetRegistered,
  settle,
} from "./pulumi-mocks.js";

installMocks({ project: "mlops", stack: "test" });

/** A digest-pinned image suffix. */
export const DIGEST = `@sha256:${"3f".repeat(32)}`;

/** The App Insights connection string the stack hands the pods as a plain value. */
export const CONNECTION_STRING =
  "InstrumentationKey=00000000-0000-0000-0000-00000000a1a1;IngestionEndpoint=https://ingest.example/";

/** What `pnpm mlops` + infra would hand the stack on the prod cluster. */
export const servingConfig: ServingConfig = parseServingConfig({
  MLOPS_STORE: "cosmos",
  COSMOS_ENDPOINT: "https://mlops-prod.documents.azure.com:443/",
  MLOPS_CHAMPION_MODEL: "classifier@7",
  MLOPS_CHALLENGER_MODEL: "classifier@8",
  MLOPS_EXPERIMENT_ID: "classifier-v8-rollout",
  LOG_LEVEL: "info",
});

/** A Kubernetes provider for the mocks (named `aks`, as the AKS component's is). */
export function mockProvider(name = "aks"): k8s.Provider {
  return new k8s.Provider(name, { kubeconfig: "apiVersion: v1\nkind: Config\n" });
}

/** The prod-like arguments of the stack, with `overrides` applied. */
export function stackArgs(
  provider: k8s.Provider,
  overrides: Partial<ServingStackArgs> = {},
): ServingStackArgs {
  return {
    provider,
    namespace: "ml-serving",
    servingConfig,
    champion: { image: `registry.example/mlops/serving${DIGEST}` },
    challenger: { image: "registry.example/mlops/serving:8-3f9c2ab" },
    traffic: {
      kind: "nginx-canary",
      rules: [{ host: "api.ml.example.com" }],
      weight: 10,
      cookie: "mlops-canary",
    },
    workloadIdentity: {
      clientId: "00000000-0000-0000-0000-00000000c11e",
      tenantId: "00000000-0000-0000-0000-0000000074e7",
    },
    prometheus: {
      serverAddress: "https://mlops-prod-amw.westeurope.prometheus.monitor.azure.com",
      identityClientId: "00000000-0000-0000-0000-0000000ceda0",
    },
    egressCidrs: ["10.20.8.0/24", "20.50.0.0/16"],
    secretEnv: { secretName: "serving-store", keys: { COSMOS_KEY: "cosmos-key" } },
    deployedEnv: { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING },
    ...overrides,
  };
}

/** The provider every rendered stack shares, created at the first render (after the mocks). */
let sharedProvider: k8s.Provider | undefined;

/**
 * Renders one `ServingStack` named `name` from the prod-like arguments with `overrides`
 * applied, on the shared mock provider unless they name one, and returns every object it
 * registered.
 */
export async function renderServingStack(
  name: string,
  overrides: Partial<ServingStackArgs> = {},
): Promise<Registered[]> {
  const { ServingStack } = await import("../src/serving-stack.js");
  sharedProvider ??= mockProvider();
  const args = stackArgs(sharedProvider, overrides);
  resetRegistered();
  new ServingStack(name, args);
  await settle();
  return [...registered];
}

/** The objects of type token `type`. */
export const byType = (objects: readonly Registered[], type: string): Registered[] =>
  objects.filter((r) => r.type === type);

/** The Kubernetes objects (no components, no providers). */
export const k8sObjects = (objects: readonly Registered[]): Registered[] =>
  objects.filter((r) => r.type.startsWith("kubernetes:"));

/** The containers of a Deployment. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
export const containersOf = (deployment: Registered): any[] =>
  deployment.inputs.spec.template.spec.containers;

/** The one object of `type` whose `metadata.name` is `name`; throws unless there is exactly one. */
export function objectNamed(
  objects: readonly Registered[],
  type: string,
  name: string,
): Registered {
  const found = byType(objects, type).filter((r) => r.inputs.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${type} named ${name}`);
  return found[0];
}
