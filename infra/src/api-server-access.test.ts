import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  type ApiServerAccess,
  apiServerAccessProfile,
  apiServerAccessSchema,
  MAX_AUTHORIZED_RANGES,
} from "./api-server-access.js";

const issues = (value: unknown) =>
  apiServerAccessSchema
    .safeParse(value)
    .error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);

describe("apiServerAccessSchema", () => {
  it("accepts a private API server or a list of authorized ranges", () => {
    expect(apiServerAccessSchema.parse({ access: "private" })).toEqual({ access: "private" });
    expect(
      apiServerAccessSchema.parse({
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

describe("apiServerAccessProfile", () => {
  it("makes a private cluster with the system DNS zone and no public FQDN", () => {
    expect(apiServerAccessProfile({ access: "private" })).toEqual({
      enablePrivateCluster: true,
      privateDNSZone: "system",
      enablePrivateClusterPublicFQDN: false,
    });
  });

  const resolved = (value: pulumi.Input<pulumi.Input<string>[] | undefined>) =>
    new Promise((resolve) => pulumi.output(value).apply(resolve));

  it("keeps the cluster public but answering only the listed ranges and the estate's own egress", async () => {
    const access: ApiServerAccess = {
      access: "authorizedIpRanges",
      authorizedIpRanges: ["203.0.113.0/28"],
    };
    const profile = apiServerAccessProfile(access, [
      pulumi.output("20.61.7.42"),
      undefined,
      "203.0.113.0",
    ]);
    expect(profile.enablePrivateCluster).toBe(false);
    expect(await resolved(profile.authorizedIPRanges)).toEqual([
      "203.0.113.0/28",
      "20.61.7.42/32",
      "203.0.113.0/32",
    ]);
    expect(await resolved(apiServerAccessProfile(access).authorizedIPRanges)).toEqual([
      "203.0.113.0/28",
    ]);
  });
});
