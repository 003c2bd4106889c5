import { randomBytes } from "node:crypto";
import { EDGE_ENV, EDGE_SECRETS, type EdgeAuthConfig, type EdgeSecret } from "@mlops/contracts";
import type { KeyVaultSecretsArgs } from "@mlops/k8s";
import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { PlacementArgs } from "./placement.js";

/**
 * The prediction API's edge, as stack config's `edgeAuth` chooses it (schema in
 * `@mlops/contracts`, stack-access.ts): the serving variables that put it into effect and the
 * Key Vault secrets it needs.
 */

/** Where the serving pods find the secrets the Secrets Store CSI driver mounts. */
export const SECRETS_MOUNT_PATH = "/mnt/secrets-store";

/** The serving variables that put `auth` into effect (the rest of the edge is in `EdgeSecrets`). */
export function edgeServingEnv(auth: EdgeAuthConfig | undefined): Record<string, string> {
  const env: Record<string, string> = {
    [EDGE_ENV.secretsDir]: SECRETS_MOUNT_PATH,
    // The public route publishes only the public paths; the pods refuse the rest to a proxy too.
    [EDGE_ENV.opsInternalOnly]: "true",
  };
  if (auth === undefined) return { ...env, [EDGE_ENV.auth]: "none" };
  if (auth.mode === "apiKeys") return { ...env, [EDGE_ENV.auth]: "api-keys" };
  return {
    ...env,
    [EDGE_ENV.auth]: "entra",
    [EDGE_ENV.entraTenantId]: auth.tenantId,
    [EDGE_ENV.entraAudience]: auth.audience,
    [EDGE_ENV.entraAppRole]: auth.appRole,
  };
}

/** The secrets `auth` needs in the vault: the API keys (in key mode) and the canary tokens. */
export function edgeSecretsFor(auth: EdgeAuthConfig | undefined): readonly EdgeSecret[] {
  return EDGE_SECRETS.filter((s) => s.kind === "canary-token" || auth?.mode === "apiKeys");
}

export interface EdgeSecretsArgs extends PlacementArgs {
  /** The vault's name (a plain string: the CSI driver's class names it too). */
  vaultName: string;
  /** The vault resource: the secrets are created once it exists. */
  vault: pulumi.Resource;
  /** Tenant of the vault. */
  tenantId: pulumi.Input<string>;
  /** Client id of the serving pods' workload identity (Key Vault Secrets User on the vault). */
  servingClientId: pulumi.Input<string>;
  /** Stack config's choice. */
  auth: EdgeAuthConfig | undefined;
}

/** Bytes of a generated key: 256 bits, as URL-safe base64. */
const KEY_BYTES = 32;

/**
 * The edge's secrets in Key Vault, created with random values so the pods can mount them on the
 * first deploy. After that their values belong to Key Vault: rotating one is a new secret version
 * (`az keyvault secret set`), which the CSI driver mounts within its poll interval and the server
 * reads within 30 s, and which `pulumi up` leaves alone (`ignoreChanges`). Two of each kind are
 * active, so clients move to one while the other is replaced. Secrets are deployed through ARM,
 * which the vault's firewall does not apply to (learn.microsoft.com/azure/key-vault/general/
 * overview-vnet-service-endpoints); their values are Pulumi secrets in the state.
 */
export class EdgeSecrets extends pulumi.ComponentResource {
  /** What the serving stack needs to mount the secrets. */
  readonly mount: KeyVaultSecretsArgs;

  constructor(name: string, args: EdgeSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:EdgeSecrets", name, {}, opts);
    const secrets = edgeSecretsFor(args.auth);
    const created = secrets.map(
      (s) =>
        new keyvault.Secret(
          `${name}-${s.file}`,
          {
            resourceGroupName: args.resourceGroupName,
            vaultName: args.vaultName,
            secretName: s.vaultName,
            tags: args.tags,
            properties: {
              value: pulumi.secret(randomBytes(KEY_BYTES).toString("base64url")),
              contentType: s.kind,
            },
          },
          { parent: this, dependsOn: [args.vault], ignoreChanges: ["properties.value"] },
        ),
    );
    this.mount = {
      // The class's vault name, taken from the secrets: the pods wait until they exist.
      vaultName: pulumi.all(created.map((c) => c.name)).apply(() => args.vaultName),
      tenantId: args.tenantId,
      clientId: args.servingClientId,
      secrets: secrets.map((s) => ({ vaultName: s.vaultName, file: s.file })),
    };
    this.registerOutputs({});
  }
}
