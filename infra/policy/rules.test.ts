import type * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as consumption from "@pulumi/azure-native/consumption/index.js";
import type * as cosmosdb from "@pulumi/azure-native/cosmosdb/index.js";
import type * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import type * as monitor from "@pulumi/azure-native/monitor/index.js";
import type * as network from "@pulumi/azure-native/network/index.js";
import type * as storage from "@pulumi/azure-native/storage/index.js";
import { describe, expect, it } from "vitest";
import { type PolicyResource, UNTAGGABLE, violations } from "./rules.js";

const tags = { project: "p", environment: "prod", owner: "team" };
/** The registry retention choice acr-untagged-retention-off requires (guardrail-rules.test.ts). */
const KEEP_UNTAGGED = { retentionPolicy: { status: "disabled" } };
const resource = (type: string, props: Record<string, unknown>): PolicyResource => ({
  type,
  name: "r",
  props: { tags, ...props },
});

describe("policy rules", () => {
  it("flag an ACR admin user", () => {
    expect(
      violations([
        resource("azure-native:containerregistry:Registry", {
          registryName: "mlcrabc12345",
          adminUserEnabled: true,
          policies: KEEP_UNTAGGED,
        }),
      ]),
    ).toEqual([
      "acr-no-admin-user: r: adminUserEnabled must be false (the admin user is a shared password)",
    ]);
  });

  it("flag a Key Vault without RBAC mode or purge protection", () => {
    const found = violations([
      resource("azure-native:keyvault:Vault", {
        vaultName: "kv-prod-1",
        properties: { enableRbacAuthorization: false, enableSoftDelete: true },
      }),
    ]);
    expect(found).toHaveLength(2);
    expect(found.join("\n")).toMatch(/enableRbacAuthorization must be true/);
    expect(found.join("\n")).toMatch(/enablePurgeProtection must be true/);
  });

  it("flag Cosmos key auth and AKS local accounts or missing workload identity", () => {
    expect(
      violations([resource("azure-native:cosmosdb:DatabaseAccount", { accountName: "cosmos-1" })]),
    ).toEqual([
      "cosmos-local-auth-disabled: r: disableLocalAuth must be true (account keys grant full data access to anyone holding them)",
      "cosmos-local-auth-disabled: r: disableKeyBasedMetadataWriteAccess must be true (resource locks bind clients using account keys only when it is on)",
    ]);
    const aks = violations([
      resource("azure-native:resources:Resource", {
        resourceProviderNamespace: "Microsoft.ContainerService",
        resourceType: "managedClusters",
        resourceName: "aks-1",
        properties: {
          dnsPrefix: "aks-1",
          disableLocalAccounts: false,
          aadProfile: { enableAzureRBAC: true },
          oidcIssuerProfile: { enabled: true },
        },
      }),
    ]);
    expect(aks.join("\n")).toMatch(
      /aks-no-local-accounts-workload-identity: r: disableLocalAccounts must be true/,
    );
    expect(aks.join("\n")).toMatch(/securityProfile\.workloadIdentity\.enabled must be true/);
    // The typed SDK resource is judged the same way.
    const typed = violations([
      resource("azure-native:containerservice:ManagedCluster", {
        disableLocalAccounts: false,
        apiServerAccessProfile: { enablePrivateCluster: true },
      }),
    ]);
    expect(typed.join("\n")).toMatch(
      /aks-no-local-accounts-workload-identity: r: disableLocalAccounts must be true/,
    );
  });

  it("flag missing tags on taggable resources only", () => {
    expect(
      violations([
        {
          type: "azure-native:network:VirtualNetwork",
          name: "v",
          props: { tags: { project: "p" } },
        },
      ]),
    ).toEqual(["required-tags: v: missing tag(s) environment, owner"]);
    expect(violations([{ type: "azure-native:network:Subnet", name: "s", props: {} }])).toEqual([]);
    // Saved searches take their tags as name/value pairs.
    const pairs = (tags: Record<string, string>) =>
      Object.entries(tags).map(([name, value]) => ({ name, value }));
    const search = (tags: Record<string, string>) => ({
      type: "azure-native:operationalinsights:SavedSearch",
      name: "q",
      props: { tags: pairs(tags) },
    });
    expect(violations([search({ project: "p", environment: "prod", owner: "o" })])).toEqual([]);
    expect(violations([search({ project: "p" })])).toEqual([
      "required-tags: q: missing tag(s) environment, owner",
    ]);
  });

  it("flag names outside Azure limits or left to auto-naming", () => {
    expect(
      violations([
        resource("azure-native:storage:StorageAccount", {
          accountName: "Way-Too-Long-And-Dashed-Name",
        }),
      ]),
    ).toEqual([
      'azure-naming-limits: r: accountName "Way-Too-Long-And-Dashed-Name" breaks the rule: 3–24 lowercase letters and digits',
    ]);
    expect(
      violations([
        resource("azure-native:containerregistry:Registry", {
          adminUserEnabled: false,
          policies: KEEP_UNTAGGED,
        }),
      ]),
    ).toEqual([
      "azure-naming-limits: r: registryName must be set explicitly (5–50 letters and digits)",
    ]);
  });

  it("flag role assignments on a subscription or resource group", () => {
    const assignment = (scope: string) => ({
      type: "azure-native:authorization:RoleAssignment",
      name: "a",
      props: { scope },
    });
    expect(violations([assignment("/subscriptions/s")])).toHaveLength(1);
    expect(violations([assignment("/subscriptions/s/resourceGroups/g")])).toHaveLength(1);
    expect(
      violations([
        assignment("/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v"),
      ]),
    ).toEqual([]);
  });
});

/** The SDK modules the untaggable types come from, by the module part of their type token. */
interface Modules {
  authorization: typeof authorization;
  consumption: typeof consumption;
  cosmosdb: typeof cosmosdb;
  managedidentity: typeof managedidentity;
  monitor: typeof monitor;
  network: typeof network;
  storage: typeof storage;
}
/** The SDK's argument type for a type token, or `never` when the token names no SDK resource. */
type ArgsOf<Token> = Token extends `azure-native:${infer M extends keyof Modules}:${infer R}`
  ? R extends keyof Modules[M]
    ? Modules[M][R] extends abstract new (
        name: string,
        args: infer Args,
        // biome-ignore lint/suspicious/noExplicitAny: any constructor's options
        ...rest: any[]
      ) => unknown
      ? NonNullable<Args>
      : never
    : never
  : never;
/** Listed tokens that name no SDK resource, or whose resource takes `tags` after all. */
type Misplaced = {
  [T in (typeof UNTAGGABLE)[number]]: [ArgsOf<T>] extends [never]
    ? T
    : "tags" extends keyof ArgsOf<T>
      ? T
      : never;
}[(typeof UNTAGGABLE)[number]];

describe("UNTAGGABLE", () => {
  it("lists only SDK resources whose arguments take no tags", async () => {
    // Compile-time half: while an entry is misplaced, tsc fails naming it.
    const typed: [Misplaced] extends [never] ? true : Misplaced = true;
    expect(typed).toBe(true);
    const misplaced: string[] = [];
    // Runtime half: each token's module exports the resource it names.
    for (const token of UNTAGGABLE) {
      const [, module, resource] = token.split(":");
      const sdk = await import(`@pulumi/azure-native/${module}/index.js`);
      if (typeof sdk[resource ?? ""] !== "function") misplaced.push(token);
    }
    expect(misplaced).toEqual([]);
  });
});
