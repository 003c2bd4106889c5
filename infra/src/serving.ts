/**
 * The serving plane of the platform on its cluster, from the stack's serving block: the k8s
 * ServingStack (deployments, traffic split, autoscalers), the KEDA operator's identity, the DNS
 * and certificate access the public edge needs, and the edge's Key Vault secrets mounted into the
 * pods.
 */
import {
  COSMOS_LAYOUT,
  certificateUri,
  PUBLIC_PATH_PREFIXES,
  parseServingConfig,
  SERVING_ENV,
  type StackConfig,
  type TlsConfig,
} from "@mlops/contracts";
import {
  AddonCrds,
  type AddonKind,
  DEFAULT_SCALING,
  type DeployedEnv,
  KedaOperatorIdentity,
  ServingStack,
  type TrafficSplitKind,
} from "@mlops/k8s";
import type * as pulumi from "@pulumi/pulumi";
import type { AksCluster } from "./aks.js";
import type { DataPlane } from "./aks-cluster-body.js";
import { cosmosEndpoint } from "./cosmos.js";
import { type EdgeSecrets, edgeServingEnv } from "./edge-auth.js";
import { grantToIdentity } from "./grants.js";
import type { Identity } from "./identity.js";
import type { BuiltInRole } from "./roles.js";
import type { Telemetry } from "./telemetry.js";

/** Name of the ServingStack component; its deployments and service accounts derive from it. */
export const SERVING_STACK = "serving";

/** The data planes a stack runs: the public one, then a standby while migrating. */
export function dataPlanes(serving: StackConfig["serving"]): DataPlane[] {
  return [
    serving.trafficSplit,
    ...(serving.standbySplit === undefined ? [] : [serving.standbySplit]),
  ];
}

/** The public URL of the API for a stack's serving block. */
export function publicUrl(serving: StackConfig["serving"]): string {
  return `${serving.tls === "off" ? "http" : "https"}://${serving.host}`;
}

/** What the serving plane is built from, besides the stack config. */
export interface ServingNeeds {
  /** Registry name (its login server is `<name>.azurecr.io`). */
  registryName: string;
  /** Cosmos DB account name (its endpoint follows from it). */
  cosmosAccount: string;
  aks: AksCluster;
  identity: Identity;
  telemetry: Telemetry;
  tenantId: pulumi.Input<string>;
  /** The API keys and canary tokens in Key Vault, which the pods mount. */
  edgeSecrets: EdgeSecrets;
  /**
   * What the pods need to exist before they start: the Cosmos database, containers and the
   * serving identity's data role, the kubelet's pull grant, the serving identity's telemetry
   * publisher role and its read access to the edge's secrets. A pod that starts earlier fails
   * its first reads and crash-loops until they exist.
   */
  runtime: readonly pulumi.Resource[];
}

/**
 * The custom kinds the serving plane and the GARCH service beside it create on a stack's data
 * planes: KEDA's scalers and the Key Vault secret mounts always (both add-ons are always on,
 * aks-cluster-body.ts), the Gateway API objects on the gateway plane, and its DNS records where
 * that plane serves a certificate.
 */
export function servingCustomKinds(serving: StackConfig["serving"]): AddonKind[] {
  const gateway = dataPlanes(serving).includes("gateway");
  return [
    "keda.sh/v1alpha1/ScaledObject",
    "keda.sh/v1alpha1/TriggerAuthentication",
    "secrets-store.csi.x-k8s.io/v1/SecretProviderClass",
    ...(gateway
      ? ([
          "gateway.networking.k8s.io/v1/Gateway",
          "gateway.networking.k8s.io/v1/HTTPRoute",
        ] as const)
      : []),
    ...(gateway && serving.tls !== "off"
      ? (["approuting.kubernetes.azure.com/v1alpha1/ClusterExternalDNS"] as const)
      : []),
  ];
}

/**
 * What every workload of the serving plane waits for (see ServingNeeds): the cluster, the CRDs
 * its add-ons serve for the custom resources (k8s/src/addon-crds.ts), the serving and edge
 * identities' federation, the runtime, and the edge identities' access to certificates and the
 * zone, granted here once for the prediction API and the GARCH service alike.
 */
export function servingPrerequisites(cfg: StackConfig, needs: ServingNeeds): pulumi.Resource[] {
  const { aks, identity } = needs;
  const crds = new AddonCrds(
    "addon-crds",
    { provider: aks.provider, kinds: servingCustomKinds(cfg.serving) },
    { dependsOn: [aks] },
  );
  return [
    aks,
    crds,
    ...(identity.edge?.federation ?? []),
    ...identity.serving.federation,
    ...needs.runtime,
    ...grantEdgeAccess(cfg.serving, aks, identity),
  ];
}

/** The registry store the serving pods read, as serving-config env (Cosmos DB by account name). */
export function registryStoreEnv(cosmosAccount: string): Record<string, string> {
  return {
    [SERVING_ENV.store]: "cosmos",
    [SERVING_ENV.cosmosEndpoint]: cosmosEndpoint(cosmosAccount),
    [SERVING_ENV.cosmosDatabase]: COSMOS_LAYOUT.defaultDatabase,
  };
}

/**
 * The App Insights connection string as deployed env: an output but no secret (with local auth
 * off, ingestion needs the pod's Entra token), so it rides as a plain value.
 */
export function telemetryEnv(needs: ServingNeeds): DeployedEnv {
  return { [SERVING_ENV.appInsights]: needs.telemetry.appInsightsConnectionString };
}

/** The serving image at `tag` in the platform registry. */
export const servingImage = (cfg: StackConfig, needs: ServingNeeds, tag: string): string =>
  `${needs.registryName}.azurecr.io/${cfg.serving.imageRepository}:${tag}`;

/**
 * How a public host is routed on the stack's data planes: the split kinds, and with TLS the
 * certificate (`certificateName` in the serving vault) and the edge identity with the zone.
 */
export function edgeRouting(
  serving: StackConfig["serving"],
  identity: Identity,
  certificateName?: string,
) {
  const tls: TlsConfig | undefined = serving.tls === "off" ? undefined : serving.tls;
  return {
    kind: serving.trafficSplit as TrafficSplitKind,
    standby: serving.standbySplit as TrafficSplitKind | undefined,
    certificateUri:
      tls === undefined
        ? undefined
        : certificateUri({ ...tls, certificateName: certificateName ?? tls.certificateName }),
    edge:
      tls === undefined || identity.edge === undefined
        ? undefined
        : { identityClientId: identity.edge.clientId, dnsZoneResourceId: tls.dnsZoneId },
  };
}

/**
 * The serving plane on the cluster. The serving config is plain data (it renders into pod env),
 * so values that only exist after deployment are derived from the names this program chose:
 * the registry login server and the Cosmos endpoint are fixed by their account names. The App
 * Insights connection string is an output but no secret, so it rides as a plain env value
 * (`deployedEnv`); the pods authenticate their telemetry with their workload identity.
 */
export function createServingStack(
  cfg: StackConfig,
  needs: ServingNeeds,
  prerequisites: readonly pulumi.Resource[],
): ServingStack {
  const { aks, identity, telemetry } = needs;
  // KEDA authenticates to managed Prometheus only once its operator runs as the autoscaler
  // identity, which needs the federated credential first; the patches target the add-on's own
  // ServiceAccount and Deployment, so they also wait for the add-on (its CRDs, in prerequisites).
  const kedaIdentity = new KedaOperatorIdentity(
    "keda-operator",
    { provider: aks.provider, clientId: identity.autoscaler.clientId },
    { dependsOn: [...identity.autoscaler.federation, identity.autoscalerAccess, ...prerequisites] },
  );
  const s = cfg.serving;
  const servingConfig = parseServingConfig({
    ...registryStoreEnv(needs.cosmosAccount),
    [SERVING_ENV.championModel]: s.championModel,
    [SERVING_ENV.challengerModel]: s.challengerModel,
    [SERVING_ENV.experimentId]: s.experimentId,
    [SERVING_ENV.telemetryAuth]: "entra",
    ...edgeServingEnv(cfg.edgeAuth),
  });
  const image = (tag: string) => servingImage(cfg, needs, tag);
  const scaling = {
    ...DEFAULT_SCALING,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    targetRequestsPerSecond: s.targetRequestsPerSecond,
  };
  return new ServingStack(
    SERVING_STACK,
    {
      provider: aks.provider,
      namespace: s.namespace,
      servingConfig,
      deployedEnv: telemetryEnv(needs),
      champion: { image: image(s.championImageTag), scaling },
      challenger: { image: image(s.challengerImageTag), scaling },
      traffic: {
        ...edgeRouting(s, identity),
        // The public route publishes the public paths only (operational ones stay in the cluster).
        rules: PUBLIC_PATH_PREFIXES.map((path) => ({ host: s.host, path })),
        weight: s.canaryWeight,
      },
      keyVaultSecrets: needs.edgeSecrets.mount,
      workloadIdentity: { clientId: identity.serving.clientId, tenantId: needs.tenantId },
      prometheus: {
        serverAddress: telemetry.prometheusQueryEndpoint,
        identityClientId: identity.autoscaler.clientId,
      },
      scrapedNamespaces: cfg.garch ? [cfg.garch.namespace] : [],
    },
    // What the pods and autoscalers need before they start.
    { dependsOn: [kedaIdentity, ...prerequisites] },
  );
}

/**
 * What the public edge's identities need, per data plane, for TLS and DNS from stack config:
 * the Gateway path's edge identity gets Key Vault Secrets User on the certificate's vault and
 * DNS Zone Contributor on the zone (AKS docs app-routing-gateway-api-dns-tls); the NGINX path's
 * routing add-on identity gets Key Vault Certificate User and DNS Zone Contributor (AKS docs
 * app-routing-dns-ssl). DNS only for the data plane that serves the public host.
 */
function grantEdgeAccess(
  serving: StackConfig["serving"],
  aks: AksCluster,
  identity: Identity,
): pulumi.Resource[] {
  if (serving.tls === "off") return [];
  const tls = serving.tls;
  const grants: pulumi.Resource[] = [];
  const grant = (
    name: string,
    scope: string,
    principalId: pulumi.Input<string>,
    role: BuiltInRole,
  ) => grants.push(grantToIdentity(name, scope, role, principalId, {}));
  for (const plane of dataPlanes(serving)) {
    const publishes = plane === serving.trafficSplit;
    if (plane === "gateway" && identity.edge !== undefined) {
      grant(
        "edge-certificate-reader",
        tls.certificateVaultId,
        identity.edge.principalId,
        "keyVaultSecretsUser",
      );
      if (publishes)
        grant("edge-dns-writer", tls.dnsZoneId, identity.edge.principalId, "dnsZoneContributor");
    }
    if (plane === "nginx-canary") {
      grant(
        "app-routing-certificate-reader",
        tls.certificateVaultId,
        aks.appRoutingObjectId,
        "keyVaultCertificateUser",
      );
      if (publishes)
        grant(
          "app-routing-dns-writer",
          tls.dnsZoneId,
          aks.appRoutingObjectId,
          "dnsZoneContributor",
        );
    }
  }
  return grants;
}
