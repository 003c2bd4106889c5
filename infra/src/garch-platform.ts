import {
  GARCH_SERVICE_PATHS,
  type GarchServiceConfig,
  parseServingConfig,
  SERVING_ENV,
} from "@mlops/contracts";
import { GarchService, type ServiceAccountRef } from "@mlops/k8s";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { withTelemetrySecret } from "./telemetry-secret.js";

/** Name of the GarchService component, and so of its Deployment, Service and ServiceAccount. */
export const GARCH_SERVICE = "garch";

/** The ServiceAccount the GARCH service's pods run as, for workload-identity federation. */
export function garchServiceAccounts(garch: GarchServiceConfig | undefined): ServiceAccountRef[] {
  return garch ? [{ namespace: garch.namespace, name: GARCH_SERVICE }] : [];
}

/** What the GARCH service needs from the rest of the estate. */
export interface GarchPlatformArgs {
  readonly garch: GarchServiceConfig;
  readonly provider: k8s.Provider;
  /** The serving image's reference at a tag. */
  readonly image: (tag: string) => string;
  /** The store the registry lives in, as serving-config env (Cosmos DB on Azure). */
  readonly storeEnv: Record<string, string>;
  readonly workloadIdentity: { clientId: pulumi.Input<string>; tenantId: pulumi.Input<string> };
  readonly appInsightsConnectionString: pulumi.Output<string>;
  readonly dependsOn: pulumi.Resource[];
}

/**
 * The GARCH volatility service on the cluster (`MLOPS_MODE=garch`, its own namespace, host and
 * CPU autoscaler), reading the registry with the serving identity and sending telemetry like the
 * prediction API.
 */
export function createGarchPlatform(args: GarchPlatformArgs): GarchService {
  const g = args.garch;
  const servingConfig = parseServingConfig({
    ...args.storeEnv,
    [SERVING_ENV.mode]: "garch",
    [SERVING_ENV.garchModel]: g.model,
  });
  return withTelemetrySecret(
    GARCH_SERVICE,
    args.provider,
    args.appInsightsConnectionString,
    (secretEnv) =>
      new GarchService(
        GARCH_SERVICE,
        {
          provider: args.provider,
          namespace: g.namespace,
          image: args.image(g.imageTag),
          servingConfig,
          secretEnv,
          workloadIdentity: args.workloadIdentity,
          scaling: {
            minReplicas: g.minReplicas,
            maxReplicas: g.maxReplicas,
            cpuUtilizationPercent: g.cpuUtilizationPercent,
          },
          host: g.host,
        },
        { dependsOn: args.dependsOn },
      ),
  );
}

/** The URL the GARCH service's synthetic health check requests (the design's `/health`). */
export function garchHealthCheckUrl(garch: GarchServiceConfig): string {
  return `http://${garch.host}${GARCH_SERVICE_PATHS.health}`;
}
