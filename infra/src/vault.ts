import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as pulumi from "@pulumi/pulumi";
import { type Grantees, grantToAll } from "./grants.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { createPrivateEndpoints, type PrivateLinkArgs } from "./private-link.js";

export interface VaultArgs extends PlacementArgs {
  /** Vault name (3–24 characters, globally unique; see names.ts). */
  vaultName: string;
  /** Entra tenant the vault trusts. */
  tenantId: pulumi.Input<string>;
  /** Principals allowed to read secret values (serving pods, training jobs). */
  secretReaders: Grantees;
  /** Private endpoint placement; when set, the vault refuses public traffic. */
  privateLink?: PrivateLinkArgs;
}

/** Days a deleted vault or secret stays recoverable: the maximum Azure allows. */
export const SOFT_DELETE_RETENTION_DAYS = 90;

/**
 * The Key Vault: RBAC mode (no access policies to drift), soft delete and purge protection so a
 * deleted secret can always be recovered, and Key Vault Secrets User for the workload identities.
 */
export class Vault extends pulumi.ComponentResource {
  /** Vault resource id. */
  readonly vaultId: pulumi.Output<string>;
  /** Vault URI (`https://<name>.vault.azure.net/`). */
  readonly vaultUri: pulumi.Output<string>;

  constructor(name: string, args: VaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Vault", name, {}, opts);
    const placement = placementOf(args);

    const vault = new keyvault.Vault(
      `${name}-kv`,
      {
        ...placement,
        vaultName: args.vaultName,
        properties: {
          tenantId: args.tenantId,
          sku: { family: "A", name: "standard" },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: SOFT_DELETE_RETENTION_DAYS,
          enablePurgeProtection: true,
          publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
          networkAcls: {
            bypass: "AzureServices",
            defaultAction: args.privateLink ? "Deny" : "Allow",
          },
        },
      },
      { parent: this },
    );
    if (args.privateLink) {
      createPrivateEndpoints(name, vault.id, ["vault"], args.privateLink, placement, this);
    }
    grantToAll(`${name}-secrets-user`, vault.id, "keyVaultSecretsUser", args.secretReaders, this);

    this.vaultId = vault.id;
    this.vaultUri = vault.properties.apply((p) => p.vaultUri ?? "");
    this.registerOutputs({ vaultId: this.vaultId, vaultUri: this.vaultUri });
  }
}
