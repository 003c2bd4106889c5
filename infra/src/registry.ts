import { ESTATE_SKUS } from "@mlops/contracts";
import * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
import * as pulumi from "@pulumi/pulumi";
import { type Grantees, grantToAll } from "./grants.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { createPrivateEndpoints, type PrivateLinkArgs } from "./private-link.js";

export interface RegistryArgs extends PlacementArgs {
  /** Registry name (5–50 alphanumerics, globally unique; see names.ts). */
  registryName: string;
  /** Principals allowed to pull images (the AKS kubelet, training jobs). */
  pullers: Grantees;
  /** Private endpoint placement; when set, the registry is reachable only through it. */
  privateLink?: PrivateLinkArgs;
}

/**
 * The container registry: Premium (private endpoints and zone redundancy need it), admin user
 * off so every pull and push is an Entra identity, and AcrPull for the identities that run images.
 */
export class Registry extends pulumi.ComponentResource {
  /** Registry resource id. */
  readonly registryId: pulumi.Output<string>;
  /** Login server the pipeline pushes to (`<name>.azurecr.io`). */
  readonly loginServer: pulumi.Output<string>;
  /** The AcrPull assignments: a pod's image pull fails until its puller's exists. */
  readonly pullGrants: readonly pulumi.Resource[];

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Registry", name, {}, opts);
    const placement = placementOf(args);

    const registry = new containerregistry.Registry(
      `${name}-acr`,
      {
        ...placement,
        registryName: args.registryName,
        sku: { name: ESTATE_SKUS.registry },
        adminUserEnabled: false,
        anonymousPullEnabled: false,
        zoneRedundancy: "Enabled",
        policies: {
          // Untagged manifests are kept. ACR's retention policy (preview, Premium) would purge
          // them after N days, but the serving components accept images pinned by digest
          // (k8s image.ts), and a digest whose tag moved is exactly such a manifest: a rollback
          // or a rescheduled pod would fail to pull. The docs warn against the policy wherever
          // images are pulled by digest (learn.microsoft.com/azure/container-registry/
          // container-registry-retention-policy). Tags are immutable by convention (the
          // pipeline tags with the git sha and model version), so few manifests go untagged.
          retentionPolicy: { status: "disabled" },
        },
        publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
        networkRuleBypassOptions: "AzureServices",
      },
      { parent: this },
    );
    if (args.privateLink) {
      createPrivateEndpoints(name, registry.id, ["registry"], args.privateLink, placement, this);
    }
    this.pullGrants = grantToAll(`${name}-pull`, registry.id, "acrPull", args.pullers, this);

    this.registryId = registry.id;
    this.loginServer = registry.loginServer;
    this.registerOutputs({ registryId: this.registryId, loginServer: this.loginServer });
  }
}
