/**
 * The first deploy and a recreate, as stack config says them (infra README): with
 * `serving.enabled: false` the estate comes up without the serving plane, whose image tags
 * cannot exist in a registry created in the same run; with `generation: 1` a stack created again
 * after `pulumi destroy` asks for none of the global names its soft-deleted predecessor holds.
 */
import { describe, expect, it } from "vitest";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { azureNames } from "./names.js";

const prod = stackFileConfig();
const KEY = "mlops-platform:serving";
const run = renderBeforeAll("prod", {
  ...prod,
  [KEY]: JSON.stringify({ ...JSON.parse(prod[KEY]!), enabled: false }),
  "mlops-platform:generation": "1",
});

describe("first deploy: the estate without the serving plane", () => {
  it("creates the cluster, registry, identities and data stores, and no Kubernetes workload", () => {
    expect(ofType("azure-native:resources:Resource")).toHaveLength(1);
    expect(ofType("azure-native:containerregistry:Registry")).toHaveLength(1);
    expect(ofType("azure-native:cosmosdb:SqlResourceSqlContainer").length).toBeGreaterThan(0);
    expect(ofType("mlops:k8s:ServingStack")).toEqual([]);
    expect(ofType("kubernetes:apps/v1:Deployment")).toEqual([]);
  });

  it("still federates the serving identity, so turning the plane on needs no identity change", () => {
    const subjects = ofType("azure-native:managedidentity:FederatedIdentityCredential").map(
      (r) => r.inputs.subject,
    );
    expect(subjects).toContain("system:serviceaccount:serving:serving-champion");
  });

  it("exports no serving outputs until the plane is on", () => {
    expect(run.program.servingNamespace).toBeUndefined();
    expect(run.program.trafficSplit).toBeUndefined();
  });
});

describe("recreate after destroy", () => {
  it("derives every global name from the next generation", () => {
    const earlier = azureNames("mlops-platform", "prod");
    const now = azureNames("mlops-platform", "prod", 1);
    const vault = one("azure-native:keyvault:Vault", "vault-kv").inputs;
    expect(vault.vaultName).toBe(now.keyVault);
    expect(vault.vaultName).not.toBe(earlier.keyVault);
    expect(one("azure-native:containerregistry:Registry", "registry-acr").inputs.registryName).toBe(
      now.registry,
    );
  });
});
