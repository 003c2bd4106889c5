/**
 * The access matrix (access.ts) against the prod program under mocks: each operation of each actor
 * is granted by a role assignment whose role carries the permission, to that actor's principal,
 * at a scope covering the target; and every role assignment the program makes is one the matrix
 * needs. Before this matrix the serving identity held Key Vault Secrets User it never used.
 */

import { COSMOS_LAYOUT, parseStackConfig, type StackConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { DEPLOYER_OBJECT_ID, SUBSCRIPTION } from "../test-support/azure-mocks.js";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import {
  type Access,
  type Actor,
  accessMatrix,
  permits,
  roleAllows,
  type Target,
} from "./access.js";
import { builtInRoles, COSMOS_DATA_CONTRIBUTOR_ROLE } from "./roles.js";

const config = stackFileConfig();
const cfg: StackConfig = parseStackConfig(
  { get: (k) => config[`mlops-platform:${k}`], location: () => config["azure-native:location"] },
  "mlops-platform",
);

renderBeforeAll("prod", config);

/** The principal ids the mocks give each actor. */
const PRINCIPALS: Record<Actor, string> = {
  "serving pods": "identity-serving-principal-id",
  "training jobs": "identity-training-principal-id",
  "KEDA operator": "identity-autoscaler-principal-id",
  "gateway edge (TLS sync, external-dns)": "identity-edge-principal-id",
  "app routing add-on (NGINX path)": "aks-cluster-app-routing-object-id",
  "AKS kubelet": "aks-cluster-kubelet-object-id",
  "AKS control plane": "aks-control-plane-principal-id",
  "platform engineer running pulumi up": DEPLOYER_OBJECT_ID,
  "pipeline build jobs": "pipeline-build-principal-id",
  "pipeline deploy jobs": "pipeline-deploy-principal-id",
  "pipeline PR previews": "pipeline-preview-principal-id",
};

/** The resource id each target has under mocks. */
function targetId(target: Target): string {
  const id = idOf;
  const tls = cfg.serving.tls as Exclude<StackConfig["serving"]["tls"], "off">;
  switch (target) {
    case "registry":
      return id("azure-native:containerregistry:Registry", "registry-acr");
    case "cosmos database":
      return `${id("azure-native:cosmosdb:DatabaseAccount", "cosmos-account")}/dbs/${COSMOS_LAYOUT.defaultDatabase}`;
    case "ml storage":
      return id("azure-native:storage:StorageAccount", "ml-storage");
    case "ml workspace":
      return id("azure-native:machinelearningservices:Workspace", "ml-workspace");
    case "monitor workspace":
      return id("azure-native:monitor:AzureMonitorWorkspace", "telemetry-prometheus");
    case "aks subnet":
      return id("azure-native:network:Subnet", "network-aks");
    case "cluster":
      return id("azure-native:resources:Resource", "aks-cluster");
    case "certificate vault":
      return tls.certificateVaultId;
    case "dns zone":
      return tls.dnsZoneId;
    case "app insights":
      return id("azure-native:applicationinsights:Component", "telemetry-appinsights");
    case "key vault":
      return id("azure-native:keyvault:Vault", "vault-kv");
  }
}

/** The mock's id of a registered resource (azure-mocks.ts names ids after type and name). */
function idOf(type: string, name: string): string {
  const r = one(type, name);
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/platform/providers`;
  if (type === "azure-native:resources:Resource") {
    return `${group}/${r.inputs.resourceProviderNamespace}/${r.inputs.resourceType}/${r.inputs.resourceName}`;
  }
  const [, module, kind] = type.split(":");
  return `${group}/Microsoft.${module}/${kind}/${name}`;
}

/** A role assignment as the matrix reads it: principal, role (by key) and scope. */
interface Grant {
  readonly name: string;
  readonly principalId: string;
  readonly role: string;
  readonly scope: string;
}

function grants(): Grant[] {
  const builtIn = Object.entries(builtInRoles);
  // The one custom role: the mocks name a role definition's id after its resource.
  const custom = new Map(
    ofType("azure-native:authorization:RoleDefinition").map((r) => [r.name, "pipelinePreview"]),
  );
  const rbac = ofType("azure-native:authorization:RoleAssignment").map((r) => {
    const roleId = String(r.inputs.roleDefinitionId).split("/").pop();
    return {
      name: r.name,
      principalId: String(r.inputs.principalId),
      role:
        builtIn.find(([, id]) => id === roleId)?.[0] ??
        custom.get(roleId ?? "") ??
        `unknown ${roleId}`,
      scope: String(r.inputs.scope),
    };
  });
  const cosmos = ofType("azure-native:cosmosdb:SqlResourceSqlRoleAssignment").map((r) => ({
    name: r.name,
    principalId: String(r.inputs.principalId),
    role: String(r.inputs.roleDefinitionId).endsWith(COSMOS_DATA_CONTRIBUTOR_ROLE)
      ? "cosmosDataContributor"
      : "unknown",
    scope: String(r.inputs.scope),
  }));
  return [...rbac, ...cosmos];
}

/** A scope covers a target when it is the target or one of its parents. */
const covers = (scope: string, target: string) =>
  target.toLowerCase() === scope.toLowerCase() ||
  target.toLowerCase().startsWith(`${scope.toLowerCase()}/`);

const grantFor = (row: Access) =>
  grants().find(
    (g) =>
      g.principalId === PRINCIPALS[row.actor] &&
      g.role === row.role &&
      covers(g.scope, targetId(row.target)),
  );

describe("the access matrix on the prod stack", () => {
  const matrix = accessMatrix(cfg);

  it("declares a role that carries each operation's permission", () => {
    for (const row of matrix) {
      expect(roleAllows(row.role, row.permission), `${row.actor}: ${row.operation}`).toBe(true);
    }
  });

  it("grants every operation to its actor at a scope covering the target", () => {
    for (const row of matrix) {
      expect(grantFor(row), `${row.actor}: ${row.operation} (${row.code})`).toBeDefined();
    }
  });

  it("grants nothing the matrix does not need", () => {
    const needed = new Set(matrix.map((row) => grantFor(row)?.name));
    const extra = grants().filter((g) => !needed.has(g.name));
    expect(extra).toEqual([]);
  });
});

describe("permission matching", () => {
  it("follows RBAC wildcards, case-insensitively", () => {
    expect(
      permits("Microsoft.Network/*", "Microsoft.Network/virtualNetworks/subnets/join/action"),
    ).toBe(true);
    expect(
      permits(
        "microsoft.monitor/accounts/data/metrics/read",
        "Microsoft.Monitor/accounts/data/metrics/read",
      ),
    ).toBe(true);
    expect(permits("Microsoft.Network/dnsZones/*", "Microsoft.Network/virtualNetworks/write")).toBe(
      false,
    );
    expect(roleAllows("acrPull", "Microsoft.ContainerRegistry/registries/push/write")).toBe(false);
  });
});
