// Mocks first: resources must not be created before `setMocks` has run.

import { parseServingConfig } from "@mlops/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { installMocks, type Registered, validateObject } from "../test-support/index.js";
import {
  mockProvider,
  renderServingStack,
  stackArgs,
} from "../test-support/serving-stack-fixture.js";
import {
  objectsParameter,
  SECRETS_STORE_DRIVER,
  validateKeyVaultSecretsArgs,
} from "./key-vault-secrets.js";

installMocks({ project: "mlops", stack: "test" });

const secrets = [
  { vaultName: "serving-api-key-1", file: "api-key-1" },
  { vaultName: "serving-canary-token-1", file: "canary-token-1" },
];
const keyVaultSecrets = {
  vaultName: "kv-prod-1a2b3c4d",
  tenantId: "00000000-0000-4000-8000-0000000000aa",
  clientId: "00000000-0000-4000-8000-00000000c11e",
  secrets,
};

describe("the SecretProviderClass's parameters", () => {
  it("list each secret with the file it becomes, as the provider's YAML document", () => {
    const entries = (parse(objectsParameter(secrets)) as { array: string[] }).array.map((e) =>
      parse(e),
    );
    expect(entries).toEqual([
      { objectName: "serving-api-key-1", objectType: "secret", objectAlias: "api-key-1" },
      { objectName: "serving-canary-token-1", objectType: "secret", objectAlias: "canary-token-1" },
    ]);
  });

  it("refuse no secrets, bad vault names, paths for files and a file twice", () => {
    const check = (s: typeof secrets) => () =>
      validateKeyVaultSecretsArgs("keyVaultSecrets", { ...keyVaultSecrets, secrets: s });
    expect(check([])).toThrow("keyVaultSecrets.secrets: name at least one secret");
    expect(check([{ vaultName: "api_key", file: "a" }])).toThrow(
      "keyVaultSecrets.secrets[0].vaultName: \"api_key\" must be 1-127 letters, digits or '-'",
    );
    expect(check([{ vaultName: "k", file: "../etc/passwd" }])).toThrow("must be a plain file name");
    expect(check([{ vaultName: "k", file: ".data" }])).toThrow("must be a plain file name");
    expect(check([...secrets, { vaultName: "other", file: "api-key-1" }])).toThrow(
      '"api-key-1" is listed twice',
    );
  });
});

describe("ServingStack with Key Vault secrets, under Pulumi mocks", () => {
  let stack: Registered[];
  beforeAll(async () => {
    stack = await renderServingStack(
      "serving",
      stackArgs(mockProvider(), {
        namespace: "ml-serving",
        servingConfig: parseServingConfig({
          MLOPS_AUTH: "api-keys",
          MLOPS_SECRETS_DIR: "/mnt/secrets-store",
        }),
        keyVaultSecrets,
        managedPrometheusScraping: false,
      }),
    );
  });

  it("creates the class in the namespace, signing in as the pods' workload identity", () => {
    const classes = stack.filter(
      (r) => r.type === "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
    );
    expect(classes).toHaveLength(1);
    expect(classes[0]!.inputs).toMatchObject({
      metadata: { name: "serving-key-vault", namespace: "ml-serving" },
      spec: {
        provider: "azure",
        parameters: {
          usePodIdentity: "false",
          clientID: keyVaultSecrets.clientId,
          keyvaultName: keyVaultSecrets.vaultName,
          tenantId: keyVaultSecrets.tenantId,
          objects: objectsParameter(secrets),
        },
      },
    });
  });

  it("mounts it read-only where the server reads its secrets, in both arms' valid pods", () => {
    const deployments = stack.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      expect(() => validateObject(d.type, d.inputs)).not.toThrow();
      const pod = d.inputs.spec.template.spec;
      expect(pod.volumes).toContainEqual({
        name: "key-vault",
        csi: {
          driver: SECRETS_STORE_DRIVER,
          readOnly: true,
          volumeAttributes: { secretProviderClass: "serving-key-vault" },
        },
      });
      const container = pod.containers[0];
      expect(container.volumeMounts).toContainEqual({
        name: "key-vault",
        mountPath: "/mnt/secrets-store",
        readOnly: true,
      });
      expect(container.env).toContainEqual({
        name: "MLOPS_SECRETS_DIR",
        value: "/mnt/secrets-store",
      });
    }
  });

  it("refuses secrets the server would not read, and a secrets directory with nothing mounted", async () => {
    const { validateServingStackArgs } = await import("./serving-stack.js");
    const base = stackArgs(undefined as never, { autoscalerKind: "hpa" });
    expect(() =>
      validateServingStackArgs("serving", {
        ...base,
        servingConfig: parseServingConfig({
          MLOPS_SECRETS_DIR: "/mnt/secrets-store",
          MLOPS_AUTH: "none",
        }),
      }),
    ).toThrow("keyVaultMount: must mount the Key Vault secrets at MLOPS_SECRETS_DIR");
    expect(() =>
      validateServingStackArgs("serving", {
        ...base,
        servingConfig: parseServingConfig({}),
        keyVaultSecrets,
      }),
    ).not.toThrow();
  });
});
