import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  azureNames,
  NODE_RESOURCE_GROUP_MAX,
  namingViolations,
  nodeResourceGroupName,
} from "./names.js";

/** Pulumi stack names: 1–100 letters, digits, hyphens, underscores and dots. */
const stackName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,100}$/);

describe("azureNames", () => {
  it("derives names within every Azure limit for any stack name", () => {
    fc.assert(
      fc.property(stackName, (stack) => {
        expect(namingViolations(azureNames("mlops-platform", stack))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("gives different stacks different global names", () => {
    fc.assert(
      fc.property(stackName, stackName, (a, b) => {
        fc.pre(a !== b);
        const x = azureNames("mlops-platform", a);
        const y = azureNames("mlops-platform", b);
        expect(x.storageAccount).not.toBe(y.storageAccount);
        expect(x.registry).not.toBe(y.registry);
        expect(x.keyVault).not.toBe(y.keyVault);
      }),
    );
  });

  it("is stable across runs and readable for ordinary stacks", () => {
    expect(azureNames("mlops-platform", "prod")).toEqual(azureNames("mlops-platform", "prod"));
    expect(azureNames("mlops-platform", "prod").keyVault).toMatch(/^kv-prod-[0-9a-f]{8}$/);
  });

  it("reports a name that breaks its rule", () => {
    expect(namingViolations({ storageAccount: "Has-Dashes" })).toEqual([
      'storageAccount name "Has-Dashes" breaks the rule: 3–24 lowercase letters and digits',
    ]);
    expect(namingViolations({ keyVault: "kv--double" })).toHaveLength(1);
  });

  it("gives a recreated stack (next generation) new global names, still valid", () => {
    const first = azureNames("mlops-platform", "prod");
    expect(azureNames("mlops-platform", "prod", 0)).toEqual(first);
    const again = azureNames("mlops-platform", "prod", 1);
    for (const kind of Object.keys(first) as (keyof typeof first)[]) {
      expect(again[kind], kind).not.toBe(first[kind]);
    }
    expect(namingViolations(again)).toEqual([]);
  });
});

describe("nodeResourceGroupName", () => {
  // AKS refuses a node resource group name over 80 characters ("The length of the node resource
  // group name is too long. The maximum length is 80", the service error quoted in
  // Azure-Terraform/terraform-azurerm-kubernetes#33), and names it MC_<group>_<cluster>_<region>
  // unless told otherwise, at creation only (MicrosoftDocs/azure-aks-docs articles/aks/faq.yml).
  /** The longest Pulumi stack name (100 characters) and the longest zoned region name. */
  const longestStack = "a".repeat(100);
  const longestRegion = "germanywestcentral";
  /** The resource group as the provider auto-names it: `platform` and a random suffix. */
  const group = "platform-1a2b3c4d";

  it("sets a bounded name for the longest stack in the longest region, where AKS's would not fit", () => {
    const names = azureNames("mlops-platform", longestStack);
    const aksDefault = `MC_${group}_${names.aksCluster}_${longestRegion}`;
    expect(aksDefault.length).toBeGreaterThan(NODE_RESOURCE_GROUP_MAX);
    const name = nodeResourceGroupName(
      group,
      names.aksCluster,
      longestRegion,
      names.aksNodeResourceGroup,
    );
    expect(name).toBe(names.aksNodeResourceGroup);
    expect(name!.length).toBeLessThanOrEqual(63);
    expect(namingViolations({ aksNodeResourceGroup: name })).toEqual([]);
  });

  it("keeps AKS's own name whenever it fits, so no existing cluster is asked to change it", () => {
    const names = azureNames("mlops-platform", "prod");
    expect(
      nodeResourceGroupName(group, names.aksCluster, "westeurope", names.aksNodeResourceGroup),
    ).toBeUndefined();
    // Exactly at the limit still fits.
    const cluster = "c".repeat(NODE_RESOURCE_GROUP_MAX - `MC_${group}__westeurope`.length);
    expect(nodeResourceGroupName(group, cluster, "westeurope", "explicit")).toBeUndefined();
    expect(nodeResourceGroupName(group, `${cluster}c`, "westeurope", "explicit")).toBe("explicit");
  });
});
