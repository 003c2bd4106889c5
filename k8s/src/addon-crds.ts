/**
 * The CustomResourceDefinitions behind the serving plane's custom resources. This program never
 * installs a CRD: AKS add-ons do, once the cluster runs (KEDA: `workloadAutoScalerProfile.keda`,
 * AKS docs keda-about; Gateway API: `ingressProfile.gatewayAPI.installation`, AKS docs
 * managed-gateway-api; ClusterExternalDNS: the application routing add-on, AKS docs
 * app-routing-gateway-api-dns-tls; SecretProviderClass: the `azureKeyvaultSecretsProvider`
 * add-on, AKS docs csi-secrets-store-driver). A custom resource applied before its CRD is served
 * fails with "no matches for kind".
 *
 * How the Kubernetes provider behaves there (pulumi-kubernetes provider/pkg/await/await.go,
 * `Creation`): a create retries a missing kind only five times with backoff factor 2 (about 30 s;
 * pulumi-kubernetes#1446 asks for more, still open), then fails; a `.get` (provider `Read`) does
 * not retry. Neither waits for an add-on. So each CRD is read here, as a resource of its own that
 * depends on the cluster, and every custom resource depends on the read of its CRD: Pulumi then
 * orders each object after its CRD is served, and a missing add-on fails at the read, naming the
 * CRD, before any object of the serving plane is applied. The documented first deploy
 * (`serving.enabled: false` until the pipeline has pushed images, infra/README.md) applies no
 * custom resource in the run that creates the cluster, so the add-ons have had the whole pipeline
 * run to install them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The add-on that installs a CRD, and the CRD's name (`<plural>.<group>`). */
export interface AddonCrd {
  readonly crd: string;
  readonly addon: "keda" | "gateway-api" | "app-routing" | "key-vault-secrets-provider";
}

/**
 * Every custom kind the serving plane creates, by `apiVersion/kind`, with the CRD that serves it
 * (names as in the pinned CRD files under k8s/fixtures; a test keeps them equal).
 */
export const ADDON_CRDS = {
  "keda.sh/v1alpha1/ScaledObject": { crd: "scaledobjects.keda.sh", addon: "keda" },
  "keda.sh/v1alpha1/TriggerAuthentication": {
    crd: "triggerauthentications.keda.sh",
    addon: "keda",
  },
  "gateway.networking.k8s.io/v1/Gateway": {
    crd: "gateways.gateway.networking.k8s.io",
    addon: "gateway-api",
  },
  "gateway.networking.k8s.io/v1/HTTPRoute": {
    crd: "httproutes.gateway.networking.k8s.io",
    addon: "gateway-api",
  },
  "approuting.kubernetes.azure.com/v1alpha1/ClusterExternalDNS": {
    crd: "clusterexternaldnses.approuting.kubernetes.azure.com",
    addon: "app-routing",
  },
  "secrets-store.csi.x-k8s.io/v1/SecretProviderClass": {
    crd: "secretproviderclasses.secrets-store.csi.x-k8s.io",
    addon: "key-vault-secrets-provider",
  },
} as const satisfies Record<string, AddonCrd>;

/** `apiVersion/kind` of a custom resource the serving plane creates. */
export type AddonKind = keyof typeof ADDON_CRDS;

/** Arguments of {@link AddonCrds}. */
export interface AddonCrdsArgs {
  /** The Kubernetes provider of the cluster whose add-ons install the CRDs. */
  readonly provider: k8s.Provider;
  /** The custom kinds the stack creates; each distinct CRD is read once. */
  readonly kinds: readonly AddonKind[];
}

/**
 * Reads the CRD of each kind once the component's dependencies (the cluster) exist. Pass the
 * component in `dependsOn` of whatever creates those kinds.
 */
export class AddonCrds extends pulumi.ComponentResource {
  /** The read of each CRD, by CRD name. */
  readonly crds: ReadonlyMap<string, k8s.apiextensions.v1.CustomResourceDefinition>;

  constructor(name: string, args: AddonCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:AddonCrds", name, {}, opts);
    const crds = new Map<string, k8s.apiextensions.v1.CustomResourceDefinition>();
    for (const kind of args.kinds) {
      const { crd } = ADDON_CRDS[kind];
      if (crds.has(crd)) continue;
      crds.set(
        crd,
        k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-${crd}`, crd, {
          parent: this,
          provider: args.provider,
          // Read after the cluster (and whatever else the component waits for), not at once.
          dependsOn: opts?.dependsOn,
        }),
      );
    }
    this.crds = crds;
    this.registerOutputs({});
  }
}
