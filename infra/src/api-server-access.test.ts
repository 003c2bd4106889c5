import type { ApiServerAccess } from "@mlops/contracts";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { apiServerAccessProfile } from "./api-server-access.js";

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
