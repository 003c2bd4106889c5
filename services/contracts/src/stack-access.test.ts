import { describe, expect, it } from "vitest";
import {
  ApiServerAccessSchema,
  ClusterAdminsSchema,
  MAX_AUTHORIZED_RANGES,
  MAX_CLUSTER_ADMINS,
} from "./stack-access.js";
import { parseStackConfig } from "./stack-parse.js";

const issues = (value: unknown) =>
  ApiServerAccessSchema.safeParse(value).error?.issues.map(
    (i) => `${i.path.join(".")}: ${i.message}`,
  );

describe("ApiServerAccessSchema", () => {
  it("accepts a private API server or a list of authorized ranges", () => {
    expect(ApiServerAccessSchema.parse({ access: "private" })).toEqual({ access: "private" });
    expect(
      ApiServerAccessSchema.parse({
        access: "authorizedIpRanges",
        authorizedIpRanges: ["203.0.113.0/28", "198.51.100.17/32"],
      }),
    ).toEqual({
      access: "authorizedIpRanges",
      authorizedIpRanges: ["203.0.113.0/28", "198.51.100.17/32"],
    });
  });

  it("refuses an empty list, a range open to everyone and malformed ranges, naming the entry", () => {
    expect(issues({ access: "authorizedIpRanges", authorizedIpRanges: [] })).toEqual([
      "authorizedIpRanges: needs at least one range (the runners' and the platform team's egress)",
    ]);
    expect(
      issues({ access: "authorizedIpRanges", authorizedIpRanges: ["203.0.113.0/28", "0.0.0.0/0"] }),
    ).toEqual([
      "authorizedIpRanges.1: must not be a /0 range: that is a public API server with extra steps",
    ]);
    expect(
      issues({ access: "authorizedIpRanges", authorizedIpRanges: ["203.0.113.1/28"] }),
    ).toEqual(["authorizedIpRanges.0: must be an IPv4 CIDR such as 203.0.113.0/28"]);
  });

  it("refuses more ranges than AKS accepts, and a public API server without ranges", () => {
    const ranges = Array.from({ length: MAX_AUTHORIZED_RANGES + 1 }, (_, i) => `10.${i}.0.0/16`);
    expect(issues({ access: "authorizedIpRanges", authorizedIpRanges: ranges })).toEqual([
      "authorizedIpRanges: AKS accepts at most 200 ranges",
    ]);
    expect(issues({ access: "public" })?.[0]).toMatch(/^access: /);
  });
});

describe("ClusterAdminsSchema", () => {
  const admin = (n: number) => `6f1c2a9e-4b7d-4e0a-9c3f-${String(n).padStart(12, "0")}`;
  const issuesOf = (value: unknown) =>
    ClusterAdminsSchema.safeParse(value).error?.issues.map(
      (i) => `${i.path.join(".")}: ${i.message}`,
    );

  it("takes users' and groups' Entra object ids, lowercased, and none by default", () => {
    expect(ClusterAdminsSchema.parse(undefined)).toEqual({ users: [], groups: [] });
    expect(
      ClusterAdminsSchema.parse({ users: [admin(1), admin(2).toUpperCase()], groups: [admin(3)] }),
    ).toEqual({ users: [admin(1), admin(2)], groups: [admin(3)] });
  });

  it("refuses what is not a GUID and an id listed twice (in any case, in either list), naming the entry", () => {
    expect(issuesOf({ users: [admin(1), "alice@contoso.com"] })).toEqual([
      "users.1: must be an Entra object id (a GUID)",
    ]);
    expect(
      issuesOf({ users: [admin(1), admin(2)], groups: [admin(3), admin(1).toUpperCase()] }),
    ).toEqual([`groups.1: repeats ${admin(1)}, listed at users.0`]);
  });

  it("refuses more principals than a team without a group should list", () => {
    const half = MAX_CLUSTER_ADMINS / 2;
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => admin(from + i));
    expect(issuesOf({ users: ids(0, half), groups: ids(half, half) })).toBeUndefined();
    expect(issuesOf({ users: ids(0, half), groups: ids(half, half + 1) })).toEqual([
      ": lists at most 20 users and groups together: list a group for a larger team",
    ]);
  });

  it("is the stack key aks.clusterAdmins, whose errors name the key", () => {
    const source = (clusterAdmins: unknown) => ({
      get: (key: string) =>
        key === "aks"
          ? JSON.stringify({
              systemPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
              userPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
              clusterAdmins,
            })
          : undefined,
      location: () => "westeurope",
    });
    expect(() => parseStackConfig(source({ groups: ["platform-team"] }), "mlops-platform")).toThrow(
      "mlops-platform:aks.clusterAdmins.groups.0: must be an Entra object id (a GUID)",
    );
    expect(() => parseStackConfig(source({ owners: [admin(1)] }), "mlops-platform")).toThrow(
      "mlops-platform:aks.clusterAdmins.owners: is not a setting of this program",
    );
  });
});
