/**
 * The GARCH volatility service on the platform's cluster, from the stack's `garch` block: the
 * serving image in `MLOPS_MODE=garch`, its own namespace, host and CPU autoscaler, routed on the
 * stack's data planes with the prediction API's edge identity, zone and certificate vault, and
 * guarded like the prediction API: the stack's `edgeAuth` on `/predict` and `/predict/custom`,
 * with the edge's Key Vault secrets mounted into its pods.
 */
import {
  GARCH_SERVICE_PATHS,
  type GarchServiceConfig,
  parseServingConfig,
  SERVING_ENV,
  type StackConfig,
} from "@mlops/contracts";
import { GarchService, garchEdgeServiceAccount, type ServiceAccountRef } from "@mlops/k8s";
import type * as pulumi from "@pulumi/pulumi";
import { edgeServingEnv } from "./edge-auth.js";
import {
  edgeRouting,
  publicUrl,
  registryStoreEnv,
  type ServingNeeds,
  servingImage,
  telemetryEnv,
} from "./serving.js";

/** Name of the GarchService component, and so of its Deployment, Service and ServiceAccount. */
export const GARCH_SERVICE = "garch";

/** The ServiceAccount the GARCH service's pods run as, for workload-identity federation. */
export function garchServiceAccounts(garch: GarchServiceConfig | undefined): ServiceAccountRef[] {
  return garch ? [{ namespace: garch.namespace, name: GARCH_SERVICE }] : [];
}

/** The edge ServiceAccount of the GARCH host's Gateway (with TLS on a gateway data plane). */
export function garchEdgeServiceAccounts(
  garch: GarchServiceConfig | undefined,
): ServiceAccountRef[] {
  return garch ? [garchEdgeServiceAccount(GARCH_SERVICE, garch.namespace)] : [];
}

/**
 * The GARCH service (`MLOPS_MODE=garch`), reading the registry with the serving identity and
 * sending telemetry like the prediction API; its host routed like the API's, with its own
 * certificate from the same vault. Its pods run as the serving identity (federated with their
 * ServiceAccount, see `garchServiceAccounts`), which reads the edge's secrets from Key Vault, so
 * they mount the same API keys as the API's and take the same credentials; `/health` stays open
 * for the availability test.
 */
export function createGarchPlatform(
  cfg: StackConfig,
  garch: GarchServiceConfig,
  needs: ServingNeeds,
  prerequisites: readonly pulumi.Resource[],
): GarchService {
  const servingConfig = parseServingConfig({
    ...registryStoreEnv(needs.cosmosAccount),
    [SERVING_ENV.mode]: "garch",
    [SERVING_ENV.garchModel]: garch.model,
    [SERVING_ENV.telemetryAuth]: "entra",
    ...edgeServingEnv(cfg.edgeAuth),
  });
  return new GarchService(
    GARCH_SERVICE,
    {
      provider: needs.aks.provider,
      namespace: garch.namespace,
      image: servingImage(cfg, needs, garch.imageTag),
      servingConfig,
      deployedEnv: telemetryEnv(needs),
      keyVaultSecrets: needs.edgeSecrets.mount,
      workloadIdentity: { clientId: needs.identity.serving.clientId, tenantId: needs.tenantId },
      scaling: {
        minReplicas: garch.minReplicas,
        maxReplicas: garch.maxReplicas,
        cpuUtilizationPercent: garch.cpuUtilizationPercent,
      },
      host: garch.host,
      route: edgeRouting(cfg.serving, needs.identity, garch.certificateName),
    },
    { dependsOn: [...prerequisites] },
  );
}

/** The GARCH service's public URL: the scheme of the serving block's, on the GARCH host. */
export function garchUrl(serving: StackConfig["serving"], garch: GarchServiceConfig): string {
  return publicUrl({ ...serving, host: garch.host });
}

/** The URL the GARCH service's synthetic health check requests (the design's `/health`). */
export function garchHealthCheckUrl(
  serving: StackConfig["serving"],
  garch: GarchServiceConfig,
): string {
  return `${garchUrl(serving, garch)}${GARCH_SERVICE_PATHS.health}`;
}
