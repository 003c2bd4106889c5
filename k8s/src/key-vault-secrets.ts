/**
 * Key Vault secrets as files in the serving pods, through the Secrets Store CSI driver of the AKS
 * add-on `azureKeyvaultSecretsProvider`: a SecretProviderClass in the pods' namespace names the
 * vault, the secrets and the file each becomes (`objectAlias`), and signs in with workload
 * identity (`clientID` of the identity federated with the pods' service accounts); the pods mount
 * a read-only CSI volume of that class. With the add-on's rotation on, the driver rewrites a file
 * when its secret gets a new version (learn.microsoft.com/azure/aks/csi-secrets-store-driver;
 * SecretProviderClass parameters: azure.github.io/secrets-store-csi-driver-provider-azure,
 * "Workload Identity" access mode).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { assertDns1123Subdomain } from "./names.js";

/** The CSI driver's name, as pods reference it. */
export const SECRETS_STORE_DRIVER = "secrets-store.csi.k8s.io";
/** The SecretProviderClass CRD the driver installs. */
export const SECRET_PROVIDER_CLASS_API = "secrets-store.csi.x-k8s.io/v1";

/** One Key Vault secret and the file it becomes. */
export interface MountedSecret {
  /** Secret name in the vault. */
  readonly vaultName: string;
  /** File name in the mounted directory. */
  readonly file: string;
}

/** What the SecretProviderClass reads from where. */
export interface KeyVaultSecretsArgs {
  /** Vault name (its host is `<name>.vault.azure.net`). */
  readonly vaultName: pulumi.Input<string>;
  /** Tenant of the vault. */
  readonly tenantId: pulumi.Input<string>;
  /** Client id of the workload identity the pods' service accounts are federated with. */
  readonly clientId: pulumi.Input<string>;
  /** The secrets to mount. */
  readonly secrets: readonly MountedSecret[];
}

/** How a pod mounts the class's files. */
export interface KeyVaultMount {
  /** Name of the SecretProviderClass (an output, to carry the dependency on it). */
  readonly secretProviderClass: pulumi.Input<string>;
  /** Directory the files appear in: the server's `MLOPS_SECRETS_DIR`. */
  readonly mountPath: string;
}

/** Key Vault secret names: 1-127 letters, digits and '-'. */
const VAULT_SECRET = /^[A-Za-z0-9-]{1,127}$/;
/** A plain file name: no directories, no dot-files (the driver keeps its own state in those). */
const FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

/** Throws, naming the field and the rule, unless the class can be created as asked. */
export function validateKeyVaultSecretsArgs(field: string, args: KeyVaultSecretsArgs): void {
  if (args.secrets.length === 0) throw new Error(`${field}.secrets: name at least one secret`);
  const files = new Set<string>();
  args.secrets.forEach((s, i) => {
    if (!VAULT_SECRET.test(s.vaultName)) {
      throw new Error(
        `${field}.secrets[${i}].vaultName: "${s.vaultName}" must be 1-127 letters, digits or '-'`,
      );
    }
    if (!FILE.test(s.file)) {
      throw new Error(`${field}.secrets[${i}].file: "${s.file}" must be a plain file name`);
    }
    if (files.has(s.file))
      throw new Error(`${field}.secrets[${i}].file: "${s.file}" is listed twice`);
    files.add(s.file);
  });
}

/** The provider's `objects` parameter: a YAML document listing each secret and its alias. */
export function objectsParameter(secrets: readonly MountedSecret[]): string {
  const entries = secrets.map(
    (s) =>
      `  - |\n    objectName: ${s.vaultName}\n    objectType: secret\n    objectAlias: ${s.file}`,
  );
  return `array:\n${entries.join("\n")}\n`;
}

/** Creates the SecretProviderClass `name` in `namespace`. */
export function createSecretProviderClass(
  name: string,
  namespace: pulumi.Input<string>,
  args: KeyVaultSecretsArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  assertDns1123Subdomain("name", name);
  validateKeyVaultSecretsArgs("keyVaultSecrets", args);
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: SECRET_PROVIDER_CLASS_API,
      kind: "SecretProviderClass",
      metadata: { name, namespace },
      spec: {
        provider: "azure",
        parameters: {
          usePodIdentity: "false",
          clientID: args.clientId,
          keyvaultName: args.vaultName,
          tenantId: args.tenantId,
          objects: objectsParameter(args.secrets),
        },
      },
    },
    opts,
  );
}

/** The pod volume and container mount of `mount`. */
export function keyVaultVolume(mount: KeyVaultMount): {
  volume: k8s.types.input.core.v1.Volume;
  volumeMount: k8s.types.input.core.v1.VolumeMount;
} {
  return {
    volume: {
      name: "key-vault",
      csi: {
        driver: SECRETS_STORE_DRIVER,
        readOnly: true,
        volumeAttributes: { secretProviderClass: mount.secretProviderClass },
      },
    },
    volumeMount: { name: "key-vault", mountPath: mount.mountPath, readOnly: true },
  };
}

/** The Key Vault part of a serving component's arguments (a ServingStack, a GarchService). */
export interface ComponentKeyVault {
  /** The secrets its pods mount, if any. */
  readonly keyVaultSecrets?: KeyVaultSecretsArgs;
  /** The server's config: its `edge.secretsDir` is where the pods mount them. */
  readonly servingConfig: { readonly edge: { readonly secretsDir: string | null } };
}

/** Name of the SecretProviderClass of component `name`. */
const keyVaultClassName = (name: string): string => `${name}-key-vault`;

/**
 * Where a component's pods mount its Key Vault secrets: the config's `MLOPS_SECRETS_DIR`, from
 * `secretProviderClass`; none unless the component has secrets and the server reads them.
 */
function keyVaultMountFor(
  args: ComponentKeyVault,
  secretProviderClass: pulumi.Input<string>,
): KeyVaultMount | undefined {
  const secretsDir = args.servingConfig.edge.secretsDir;
  return args.keyVaultSecrets && secretsDir !== null
    ? { secretProviderClass, mountPath: secretsDir }
    : undefined;
}

/**
 * Throws, naming the field and the rule, unless component `name`'s secrets are valid; returns
 * the mount its pods will have, by the class name it will create (for its children's checks).
 */
export function plannedKeyVaultMount(
  name: string,
  args: ComponentKeyVault,
): KeyVaultMount | undefined {
  if (args.keyVaultSecrets) validateKeyVaultSecretsArgs("keyVaultSecrets", args.keyVaultSecrets);
  return keyVaultMountFor(args, keyVaultClassName(name));
}

/**
 * Creates component `name`'s SecretProviderClass in `namespace` when it has secrets, and returns
 * the mount its pods use: of the created class's name (an output, so the pods wait for it).
 */
export function createKeyVaultMount(
  name: string,
  namespace: pulumi.Input<string>,
  args: ComponentKeyVault,
  opts: pulumi.CustomResourceOptions,
): KeyVaultMount | undefined {
  const className = keyVaultClassName(name);
  return keyVaultMountFor(
    args,
    args.keyVaultSecrets
      ? createSecretProviderClass(className, namespace, args.keyVaultSecrets, opts).metadata.name
      : className,
  );
}
