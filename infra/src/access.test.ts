/**
 * The access matrix (access.ts) against the prod program under mocks: each operation of each actor
 * is granted by a role assignment whose role carries the permission, to that actor's principal,
 * at a scope covering the target; and every role assignment the program makes is one the matrix
 * needs. Before this matrix the serving identity held Key Vault Secrets User it never used.
 */

import { parseStackConfig, type StackConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { grantFor, unneededGrants } from "../test-support/access-grants.js";
import { renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { accessMatrix, permits, roleAllows } from "./access.js";

const config = stackFileConfig();
const cfg: StackConfig = parseStackConfig(
  { get: (k) => config[`mlops-platform:${k}`], location: () => config["azure-native:location"] },
  "mlops-platform",
);

renderBeforeAll("prod", config);

describe("the access matrix on the prod stack, deployed from a laptop", () => {
  const matrix = accessMatrix(cfg, "person");

  it("declares a role that carries each operation's permission", () => {
    for (const row of matrix) {
      expect(roleAllows(row.role, row.permission), `${row.actor}: ${row.operation}`).toBe(true);
    }
  });

  it("grants every operation to its actor at a scope covering the target", () => {
    for (const row of matrix) {
      expect(grantFor(row, cfg), `${row.actor}: ${row.operation} (${row.code})`).toBeDefined();
    }
  });

  it("grants nothing the matrix does not need", () => {
    expect(unneededGrants(matrix, cfg)).toEqual([]);
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
