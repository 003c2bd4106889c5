/**
 * The reachability matrix (reachability.ts) on the prod program under mocks: what each place can
 * reach, and that every operation of the access matrix runs from a place that can reach its
 * target.
 */
import { parseStackConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { accessMatrix } from "./access.js";
import {
  ACTOR_LOCATION,
  canReach,
  ENDPOINT_OF,
  type Endpoint,
  type Location,
} from "./reachability.js";

const config = stackFileConfig();
const cfg = parseStackConfig(
  { get: (k) => config[`mlops-platform:${k}`], location: () => config["azure-native:location"] },
  "mlops-platform",
);

renderBeforeAll("prod", config);

const INTERNET: Location = "internet (a laptop, a GitHub-hosted runner)";
const TEAM: Location = "platform team's network (an authorized range of the stack config)";

describe("the reachability matrix on the prod stack", () => {
  it("keeps the data services off the internet and reachable from the VNet's compute", () => {
    const resources = policyResources();
    const data: Endpoint[] = [
      "container registry",
      "Cosmos DB",
      "workspace storage",
      "ML workspace",
    ];
    for (const endpoint of data) {
      expect(canReach(resources, INTERNET, endpoint), endpoint).toBe(false);
      expect(canReach(resources, "AKS pods and nodes", endpoint), endpoint).toBe(true);
      expect(canReach(resources, "Azure ML compute", endpoint), endpoint).toBe(true);
    }
    // The API server stays public (Entra ID + Azure RBAC, no local accounts) but answers only the
    // authorized ranges: `pulumi up` runs from the platform team's network or the in-VNet runner;
    // managed Prometheus is queried on its public endpoint through the NAT gateway.
    expect(canReach(resources, INTERNET, "AKS API server")).toBe(false);
    expect(canReach(resources, TEAM, "AKS API server")).toBe(true);
    expect(canReach(resources, "in-VNet runner (the runner subnet)", "AKS API server")).toBe(true);
    expect(canReach(resources, "AKS pods and nodes", "AKS API server")).toBe(true);
    // The edge's secrets: behind the vault's private endpoint, mounted by the pods, read by the
    // deploy jobs' smoke test.
    expect(canReach(resources, INTERNET, "Key Vault")).toBe(false);
    expect(canReach(resources, "in-VNet runner (the runner subnet)", "Key Vault")).toBe(true);
    expect(
      canReach(resources, "AKS pods and nodes", "Azure Monitor workspace (Prometheus queries)"),
    ).toBe(true);
  });

  it("runs every operation of the access matrix from a place that can reach its target", () => {
    const resources = policyResources();
    for (const row of [...accessMatrix(cfg, "person"), ...accessMatrix(cfg, "pipeline")]) {
      const from = ACTOR_LOCATION[row.actor];
      const to: Endpoint = row.viaResourceManager
        ? "Azure Resource Manager"
        : ENDPOINT_OF[row.target];
      expect(
        canReach(resources, from, to),
        `${row.actor} (${from}) → ${to}: ${row.operation}`,
      ).toBe(true);
    }
  });

  it("would catch compute without egress: no NAT on the ML subnet leaves public endpoints unreachable", () => {
    const withoutNat = policyResources().map((r) =>
      r.type === "azure-native:network:Subnet" && r.name === "network-ml"
        ? { ...r, props: { ...r.props, natGateway: undefined } }
        : r,
    );
    expect(
      canReach(withoutNat, "Azure ML compute", "Azure Monitor workspace (Prometheus queries)"),
    ).toBe(false);
    expect(canReach(withoutNat, "Azure ML compute", "container registry")).toBe(true);
  });

  it("would catch an API server open to everyone: without authorized ranges the internet reaches it", () => {
    const open = policyResources().map((r) =>
      r.name === "aks-cluster"
        ? {
            ...r,
            props: {
              ...r.props,
              properties: {
                ...(r.props.properties as object),
                apiServerAccessProfile: { enablePrivateCluster: false },
              },
            },
          }
        : r,
    );
    expect(canReach(open, INTERNET, "AKS API server")).toBe(true);
  });
});
