import { readdir, readFile } from "node:fs/promises";
import { parseStackConfig } from "@mlops/contracts";
import { registered as captured } from "@mlops/k8s/test-support";
import { describe, expect, it } from "vitest";
import { violations } from "../policy/rules.js";
import { PROJECT, SUBSCRIPTION } from "../test-support/azure-mocks.js";
import { ofType, one, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { accessMatrix } from "./access.js";
import {
  delegationCondition,
  EDGE_DELEGATED_ROLES,
  GITHUB_OIDC_ISSUER,
  githubSubjects,
  PREVIEW_INVOKE_ACTIONS,
  type PREVIEW_ROLE_PERMISSIONS,
} from "./pipeline-identities.js";
import { builtInRoles } from "./roles.js";

/**
 * The pipeline's identities on the prod stack under mocks: one identity per kind of workflow job,
 * each trusting exactly one GitHub subject, with roles on single resources, and the runner subnet.
 */

const run = renderBeforeAll("prod", stackFileConfig());
const pipelineOutput = () => run.program.pipeline as unknown as Record<string, unknown>;

const prodPipeline = () =>
  parseStackConfig(
    {
      get: (key) => stackFileConfig()[`${PROJECT}:${key}`],
      location: () => stackFileConfig()["azure-native:location"],
    },
    PROJECT,
  ).pipeline!;

/** Role assignments to `principalId`: role id (last segment) → scope's last two segments. */
function grantsTo(principalId: string): string[] {
  return ofType("azure-native:authorization:RoleAssignment")
    .filter((r) => r.inputs.principalId === principalId)
    .map(
      (r) =>
        `${String(r.inputs.roleDefinitionId).split("/").pop()} on ${String(r.inputs.scope).split("/").slice(-2).join("/")}`,
    )
    .sort();
}

describe("the pipeline identities", () => {
  it("federates each identity with exactly one subject of the configured repository", () => {
    const cfg = prodPipeline();
    expect(cfg).toEqual({
      repository: "contoso/mlops-platform",
      environment: "production",
      branch: "main",
    });
    const creds = ofType("azure-native:managedidentity:FederatedIdentityCredential")
      .filter((r) => r.name.startsWith("pipeline-"))
      .map((r) => ({ name: r.name, subject: r.inputs.subject, identity: r.inputs.resourceName }));
    expect(creds).toEqual([
      {
        name: "pipeline-preview-github",
        subject: "repo:contoso/mlops-platform:pull_request",
        identity: "pipeline-preview",
      },
      {
        name: "pipeline-build-github",
        subject: "repo:contoso/mlops-platform:ref:refs/heads/main",
        identity: "pipeline-build",
      },
      {
        name: "pipeline-deploy-github",
        subject: "repo:contoso/mlops-platform:environment:production",
        identity: "pipeline-deploy",
      },
    ]);
    for (const r of ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((c) =>
      c.name.startsWith("pipeline-"),
    )) {
      expect(r.inputs.issuer).toBe(GITHUB_OIDC_ISSUER);
      expect(r.inputs.audiences).toEqual(["api://AzureADTokenExchange"]);
    }
  });

  it("spells the subjects as GitHub does, for the immutable repository form too", () => {
    expect(
      githubSubjects({
        repository: "octo-123/repo-456",
        environment: "prod-eu",
        branch: "release/v2",
      }),
    ).toEqual({
      preview: "repo:octo-123/repo-456:pull_request",
      build: "repo:octo-123/repo-456:ref:refs/heads/release/v2",
      deploy: "repo:octo-123/repo-456:environment:prod-eu",
    });
  });

  it("gives the build jobs image push, Azure ML jobs and the store, each on its one resource", () => {
    expect(grantsTo("pipeline-build-principal-id")).toEqual(
      [
        `${builtInRoles.acrPush} on Registry/registry-acr`,
        `${builtInRoles.reader} on Registry/registry-acr`,
        `${builtInRoles.azureMlDataScientist} on Workspace/ml-workspace`,
        `${builtInRoles.storageBlobDataContributor} on StorageAccount/ml-storage`,
      ].sort(),
    );
    const store = ofType("azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map(
      (r) => r.inputs.principalId,
    );
    expect(store).toEqual(
      expect.arrayContaining(["pipeline-build-principal-id", "pipeline-deploy-principal-id"]),
    );
    // The training identity logs the cluster jobs' runs to the workspace's MLflow.
    expect(grantsTo("identity-training-principal-id")).toContain(
      `${builtInRoles.azureMlDataScientist} on Workspace/ml-workspace`,
    );
  });

  it("gives the deploy identity per resource only the store, the vault's secrets, the edge's delegations and cluster admin: its group- and subscription-wide roles are the bootstrap's", () => {
    // The smoke test after each deploy reads an API key and a canary token from the vault; its
    // `pulumi up` grants the edge identities their roles on the certificate vault and the zone,
    // and applies the Kubernetes objects (cluster-admins.ts: a grant of its own, on every run).
    expect(grantsTo("pipeline-deploy-principal-id").sort()).toEqual(
      [
        `${builtInRoles.aksRbacClusterAdmin} on managedClusters/aks-prod-b4b7ded4`,
        `${builtInRoles.keyVaultSecretsUser} on Vault/vault-kv`,
        `${builtInRoles.roleBasedAccessControlAdministrator} on vaults/kv-contoso-certs`,
        `${builtInRoles.roleBasedAccessControlAdministrator} on dnszones/mlops.contoso.com`,
      ].sort(),
    );
    expect(pipelineOutput()).toBeDefined();
  });

  it("gives the preview identity one custom role, on the cluster, that reads and lists and writes nothing", () => {
    expect(grantsTo("pipeline-preview-principal-id")).toEqual([
      "pipeline-preview-role on managedClusters/aks-prod-b4b7ded4",
    ]);
    const assignment = ofType("azure-native:authorization:RoleAssignment").find(
      (r) => r.inputs.principalId === "pipeline-preview-principal-id",
    )!;
    expect(assignment.inputs.roleDefinitionId).toBe(
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/pipeline-preview-role`,
    );
    const role = one("azure-native:authorization:RoleDefinition", "pipeline-preview-role").inputs;
    expect(role.roleType).toBe("CustomRole");
    expect(role.assignableScopes).toEqual([role.scope]);
    // Defined on the platform's resource group (the mocks' id for it), assigned on the cluster only.
    expect(String(role.scope)).toMatch(/\/ResourceGroup\/platform$/);
    expect(role.roleName).toBe("pulumi preview (read-only), platform");
    const [permissions] = role.permissions as (typeof PREVIEW_ROLE_PERMISSIONS)[];
    expect(permissions).toEqual({
      actions: [
        "Microsoft.ContainerService/managedClusters/read",
        "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
      ],
      notActions: [],
      dataActions: ["Microsoft.ContainerService/managedClusters/*/read"],
      notDataActions: ["Microsoft.ContainerService/managedClusters/secrets/read"],
    });
    // Nothing that writes: every action reads or lists, and no wildcard reaches past reads.
    for (const action of [...permissions!.actions, ...permissions!.dataActions]) {
      expect(action).toMatch(/\/(read|list[A-Za-z]+\/action)$/);
    }
  });

  it("covers every list invoke the program makes: a new one must add its action to the preview role", async () => {
    const dir = new URL("./", import.meta.url);
    const sources = (await readdir(dir)).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
    );
    const invokes = new Set<string>();
    for (const file of sources) {
      const text = await readFile(new URL(file, dir), "utf8");
      for (const m of text.matchAll(/\.(list[A-Z][A-Za-z]*Output)\(/g)) invokes.add(m[1]!);
    }
    expect(invokes.size).toBeGreaterThan(0);
    expect([...invokes].sort()).toEqual(Object.keys(PREVIEW_INVOKE_ACTIONS).sort());
  });

  it("puts the runners in their own subnet of the VNet, with NAT egress and no default outbound", () => {
    const subnet = one("azure-native:network:Subnet", "runners-subnet").inputs;
    expect(subnet.addressPrefix).toBe("10.40.21.0/24");
    expect(subnet.virtualNetworkName).toBe("network-vnet");
    expect(subnet.defaultOutboundAccess).toBe(false);
    expect(String((subnet.natGateway as { id: string }).id)).toMatch(/NatGateway\/runners-nat$/);
    const nsg = one("azure-native:network:NetworkSecurityGroup", "runners-nsg").inputs;
    expect(nsg.securityRules).toBeUndefined();
    // Created after the platform's subnets (Azure rejects concurrent subnet writes on one VNet).
    const order = (name: string) =>
      captured.findIndex((r) => r.type === "azure-native:network:Subnet" && r.name === name);
    expect(order("runners-subnet")).toBeGreaterThan(order("network-endpoints"));
  });

  it("exports the client ids the workflows sign in with and the runner subnet", () => {
    expect(Object.keys(pipelineOutput()).sort()).toEqual([
      "buildClientId",
      "deployClientId",
      "deployPrincipalId",
      "previewClientId",
      "previewPrincipalId",
      "runnerEgressIp",
      "runnerSubnetId",
    ]);
    expect(run.outputs).toBeDefined();
  });

  it("breaks none of the policies", () => {
    expect(violations(policyResources())).toEqual([]);
  });
});

describe("what the deploy identity may assign on the edge's resources outside the stack", () => {
  // The "Constrain roles and principal types" condition of MicrosoftDocs/azure-docs
  // articles/role-based-access-control/delegate-role-assignments-examples.md: writes and deletes
  // of role assignments only for the listed role ids and for service principals.
  it("builds the documented condition: listed roles, service principals, on write and delete", () => {
    expect(delegationCondition(["dnsZoneContributor"])).toBe(
      "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
        `(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${builtInRoles.dnsZoneContributor}} AND ` +
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'})) AND " +
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR " +
        `(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${builtInRoles.dnsZoneContributor}} AND ` +
        "@Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))",
    );
    expect(delegationCondition(EDGE_DELEGATED_ROLES.certificateVault)).toContain(
      `{${builtInRoles.keyVaultSecretsUser}, ${builtInRoles.keyVaultCertificateUser}}`,
    );
  });

  it("covers every role the edge identities get there, on either data plane or both", () => {
    const prod = parseStackConfig(
      {
        get: (key) => stackFileConfig()[`${PROJECT}:${key}`],
        location: () => stackFileConfig()["azure-native:location"],
      },
      PROJECT,
    );
    const splits = [
      { trafficSplit: "gateway" },
      { trafficSplit: "nginx-canary" },
      { trafficSplit: "gateway", standbySplit: "nginx-canary" },
      { trafficSplit: "nginx-canary", standbySplit: "gateway" },
    ] as const;
    for (const split of splits) {
      const rows = accessMatrix(
        { ...prod, serving: { ...prod.serving, ...split } },
        "pipeline",
      ).filter((row) => row.actor !== "pipeline deploy jobs");
      for (const row of rows.filter((r) => r.target === "certificate vault")) {
        expect(EDGE_DELEGATED_ROLES.certificateVault, row.operation).toContain(row.role);
      }
      for (const row of rows.filter((r) => r.target === "dns zone")) {
        expect(EDGE_DELEGATED_ROLES.dnsZone, row.operation).toContain(row.role);
      }
    }
  });
});
