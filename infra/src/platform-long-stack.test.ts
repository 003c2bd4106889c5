/**
 * The prod stack file under the longest Pulumi stack name (100 characters) in a long-named
 * region, under mocks: AKS's own node resource group name, MC_<group>_<cluster>_<region>, would
 * pass the 80 characters AKS accepts ("The length of the node resource group name is too long.
 * The maximum length is 80", the service error quoted in
 * Azure-Terraform/terraform-azurerm-kubernetes#33), so the cluster asks for the bounded name of
 * names.ts instead; the prod stack's cluster (platform.test.ts) keeps AKS's own.
 */
import { describe, expect, it } from "vitest";
import { PROJECT } from "../test-support/azure-mocks.js";
import { one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { azureNames, NODE_RESOURCE_GROUP_MAX } from "./names.js";

const STACK = `prod-${"x".repeat(95)}`;
const REGION = "germanywestcentral";

renderBeforeAll(STACK, { ...stackFileConfig(), "azure-native:location": REGION });

describe("the longest stack name in a long-named region", () => {
  it("asks AKS for a bounded node resource group name where its own would be too long", () => {
    const cluster = one("azure-native:resources:Resource", "aks-cluster").inputs;
    // The mocks name the resource group `platform`; the provider adds a suffix, longer still.
    const aksDefault = `MC_platform_${cluster.resourceName}_${REGION}`;
    expect(aksDefault.length).toBeGreaterThan(NODE_RESOURCE_GROUP_MAX);
    const expected = azureNames(PROJECT, STACK).aksNodeResourceGroup;
    expect(cluster.properties.nodeResourceGroup).toBe(expected);
    expect(expected.length).toBeLessThanOrEqual(63);
  });
});
