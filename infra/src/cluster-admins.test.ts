/**
 * Cluster admin (cluster-admins.ts) on the prod stack run by the pipeline, under mocks, with two
 * people listed in `aks.clusterAdmins`: the deploy identity's grant is the very one a laptop run
 * declares (platform.test.ts checks the laptop side against the same expectation), so switching
 * between a laptop and the pipeline replaces nothing; the listed people keep theirs; the pipeline
 * gets no grant of its own; the Kubernetes provider waits for the grants.
 */

import { keyOf } from "@mlops/k8s/test-support";
import { describe, expect, it, vi } from "vitest";
import {
  clusterAdminGrant,
  deployClusterAdminGrant,
  grantFor,
  grants,
  unneededGrants,
} from "../test-support/access-grants.js";
import { DEPLOYER_OBJECT_ID, PROJECT } from "../test-support/azure-mocks.js";
import { ofType, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { accessMatrix } from "./access.js";
import { callerNeedsGrant, deployerOf } from "./cluster-admins.js";
import { loadStackConfig } from "./config.js";
import { builtInRoles } from "./roles.js";

const ALICE = "3f2b8c4d-1a6e-4f7b-9c0d-2e5a7b9c1d3f";
const PLATFORM_TEAM = "8a1d6e2f-5b3c-4d9e-a7f0-6c4b2a8e0d1b";

const prod = stackFileConfig();
const config = {
  ...prod,
  [`${PROJECT}:aks`]: JSON.stringify({
    ...JSON.parse(prod[`${PROJECT}:aks`]),
    clusterAdmins: { users: [ALICE], groups: [PLATFORM_TEAM.toUpperCase()] },
  }),
};

// The deploy and promote jobs sign azure-native in with their OIDC token (mlops-pipeline.yml).
vi.stubEnv("ARM_USE_OIDC", "true");
renderBeforeAll("prod", config);

const ROLE = "azure-native:authorization:RoleAssignment";
const clusterAdmins = () => grants().filter((g) => g.role === "aksRbacClusterAdmin");

describe("who runs pulumi up, as the program tells before declaring anything", () => {
  const pipeline = {
    pipeline: { repository: "contoso/mlops", environment: "production", branch: "main" },
  };

  it("is the pipeline when azure-native signs in with a workflow's OIDC token on a stack with pipeline config", () => {
    expect(deployerOf({ ARM_USE_OIDC: "true" }, pipeline)).toBe("pipeline");
    expect(deployerOf({ ARM_USE_OIDC: "TRUE" }, pipeline)).toBe("pipeline");
    expect(deployerOf({}, pipeline)).toBe("person");
    expect(deployerOf({ ARM_USE_OIDC: "false" }, pipeline)).toBe("person");
    // Another CI's OIDC sign-in on a stack without pipeline identities keeps a grant of its own.
    expect(deployerOf({ ARM_USE_OIDC: "true" }, { pipeline: undefined })).toBe("person");
  });

  it("gives the caller a grant of its own only on a laptop run with no one listed (a first deploy)", () => {
    const none = { users: [], groups: [] };
    expect(callerNeedsGrant(none, "person")).toBe(true);
    expect(callerNeedsGrant({ ...none, users: [ALICE] }, "person")).toBe(false);
    expect(callerNeedsGrant({ ...none, groups: [PLATFORM_TEAM] }, "person")).toBe(false);
    expect(callerNeedsGrant(none, "pipeline")).toBe(false);
  });
});

describe("cluster admin on the prod stack, deployed by the pipeline", () => {
  it("declares the deploy identity's grant exactly as a laptop run does, so neither run replaces it", () => {
    expect(clusterAdminGrant("aks-pipeline-deploy-admin")).toEqual(deployClusterAdminGrant());
  });

  it("grants the listed users and groups, by object id and type, and the pipeline no grant of its own", () => {
    const admins = ofType(ROLE)
      .filter((r) => String(r.inputs.roleDefinitionId).endsWith(builtInRoles.aksRbacClusterAdmin))
      .map((r) => [r.name, r.inputs.principalId, r.inputs.principalType]);
    expect(admins.sort()).toEqual([
      [`aks-${ALICE}-admin`, ALICE, "User"],
      [`aks-${PLATFORM_TEAM}-admin`, PLATFORM_TEAM, "Group"],
      ["aks-pipeline-deploy-admin", "pipeline-deploy-principal-id", "ServicePrincipal"],
    ]);
    expect(admins.map(([, principalId]) => principalId)).not.toContain(DEPLOYER_OBJECT_ID);
  });

  it("makes the Kubernetes provider wait for every cluster admin grant", () => {
    const [provider] = ofType("pulumi:providers:kubernetes");
    for (const grant of clusterAdmins()) {
      expect(provider.dependencies, grant.name).toContain(keyOf(ROLE, grant.name));
    }
  });

  it("grants every operation of the access matrix for a pipeline run, and nothing else", () => {
    const cfg = loadStackConfig();
    const matrix = accessMatrix(cfg, "pipeline");
    for (const row of matrix) {
      expect(grantFor(row, cfg), `${row.actor}: ${row.operation} (${row.code})`).toBeDefined();
    }
    expect(unneededGrants(matrix, cfg)).toEqual([]);
  });
});
