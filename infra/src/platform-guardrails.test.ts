/**
 * The prod stack's guardrails under mocks, each against the Azure rule it relies on: diagnostic
 * settings ask only for metric categories their resource type registers; each CanNotDelete lock
 * comes after what it would keep from being deleted, so `pulumi destroy` removes it first; the
 * deploy identity may assign the edge's roles on the certificate vault and the DNS zone outside
 * the stack, and nothing else there.
 */
import { describe, expect, it } from "vitest";
import { keyOfResource, waitsFor } from "../test-support/graph.js";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { delegationCondition, EDGE_DELEGATED_ROLES } from "./pipeline-identities.js";
import { builtInRoles } from "./roles.js";

const config = stackFileConfig();
renderBeforeAll("prod", config);

const LOCK = "azure-native:authorization:ManagementLockByScope";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";

/** The registered resources whose scope (or id-valued input `key`) lies on or under `id`. */
const onOrUnder = (key: string, id: string) =>
  ofType(ROLE_ASSIGNMENT)
    .concat(ofType(DIAGNOSTIC_SETTING))
    .filter((r) => {
      const scope = String(r.inputs[key] ?? "");
      return scope === id || scope.startsWith(`${id}/`);
    });

describe("diagnostic settings", () => {
  // Cosmos DB registers the one metric category `Requests` (azure-monitor-docs supported metrics,
  // microsoft-documentdb-databaseaccounts-metrics-include.md, "Category: Requests"); Azure refuses
  // a category a resource type does not register ("Metric category 'AllMetrics' is not
  // supported", Azure/azure-powershell#6520, MicrosoftDocs/azure-docs#69798).
  it("asks Cosmos DB for its `Requests` metric category, and each other target for its own", () => {
    const metrics = Object.fromEntries(
      ofType(DIAGNOSTIC_SETTING).map((r) => [
        r.name,
        (r.inputs.metrics as { category: string }[]).map((m) => m.category),
      ]),
    );
    expect(metrics).toEqual({
      "monitors-diag-aks": ["AllMetrics"],
      "monitors-diag-acr": ["AllMetrics"],
      "monitors-diag-kv": ["AllMetrics"],
      "monitors-diag-cosmos": ["Requests"],
      "monitors-diag-artifacts": ["Transaction"],
      "monitors-diag-ml": ["AllMetrics"],
    });
  });
});

describe("CanNotDelete locks", () => {
  // A cannot-delete lock blocks deleting the locked resource's children, the extension resources
  // on it (diagnostic settings) and the role assignments scoped to it (MicrosoftDocs/azure-docs
  // articles/azure-resource-manager/management/lock-resources.md, "Lock inheritance" and
  // "Considerations before applying your locks"): `pulumi destroy` must delete the lock first.
  /** Each lock's role, and the `<kind>/<name>` its scope names. */
  const locked = {
    cosmos: "databaseAccount/cosmos-account",
    vault: "Vault/vault-kv",
    artifacts: "StorageAccount/ml-storage",
  } as const;

  it("locks each stateful resource after everything the program puts on or under it", () => {
    for (const [role, resource] of Object.entries(locked)) {
      const lock = one(LOCK, `guardrails-lock-${role}`);
      const before = waitsFor(lock);
      const id = String(lock.inputs.scope);
      expect(id.toLowerCase(), role).toMatch(new RegExp(`/${resource.toLowerCase()}$`));
      const dependents = [
        ...onOrUnder("scope", id),
        ...onOrUnder("resourceUri", id),
        ...ofType("azure-native:network:PrivateEndpoint").filter(
          (r) => r.inputs.privateLinkServiceConnections[0].privateLinkServiceId === id,
        ),
      ];
      expect(dependents.length, role).toBeGreaterThan(0);
      for (const r of dependents)
        expect(before.has(keyOfResource(r)), `${role}: ${r.name}`).toBe(true);
    }
  });

  it("locks Cosmos DB after its database, containers and data role assignments", () => {
    const before = waitsFor(one(LOCK, "guardrails-lock-cosmos"));
    for (const type of [
      "azure-native:cosmosdb:SqlResourceSqlDatabase",
      "azure-native:cosmosdb:SqlResourceSqlContainer",
      "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
    ]) {
      const children = ofType(type);
      expect(children.length, type).toBeGreaterThan(0);
      for (const r of children) expect(before.has(keyOfResource(r)), r.name).toBe(true);
    }
  });

  it("locks the vault after its secrets, and the artifact storage after its blob settings", () => {
    const vault = waitsFor(one(LOCK, "guardrails-lock-vault"));
    const secrets = ofType("azure-native:keyvault:Secret");
    expect(secrets.length).toBeGreaterThan(0);
    for (const r of secrets) expect(vault.has(keyOfResource(r)), r.name).toBe(true);
    expect(
      waitsFor(one(LOCK, "guardrails-lock-artifacts")).has(
        keyOfResource(
          one("azure-native:storage:BlobServiceProperties", "guardrails-artifact-blobs"),
        ),
      ),
    ).toBe(true);
  });
});

describe("the deploy identity on the edge's resources outside the stack", () => {
  // Role Based Access Control Administrator constrained to roles and principal types
  // (MicrosoftDocs/azure-docs articles/role-based-access-control/
  // delegate-role-assignments-examples.md, "Constrain roles and principal types").
  it("may assign only the edge's roles, to service principals, on the certificate vault and the zone", () => {
    const tls = JSON.parse(config["mlops-platform:serving"]!).tls as {
      certificateVaultId: string;
      dnsZoneId: string;
    };
    const delegations = ofType(ROLE_ASSIGNMENT).filter(
      (r) =>
        r.inputs.principalId === "pipeline-deploy-principal-id" &&
        String(r.inputs.roleDefinitionId).endsWith(
          builtInRoles.roleBasedAccessControlAdministrator,
        ),
    );
    expect(
      delegations
        .map((r) => [r.inputs.scope, r.inputs.condition, r.inputs.conditionVersion])
        // The vault's id sorts before the zone's (resource groups contoso-certificates, -dns).
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      [tls.certificateVaultId, delegationCondition(EDGE_DELEGATED_ROLES.certificateVault), "2.0"],
      [tls.dnsZoneId, delegationCondition(EDGE_DELEGATED_ROLES.dnsZone), "2.0"],
    ]);
  });
});
