import { describe, expect, it } from "vitest";
import { ApiServerAccessSchema, MAX_AUTHORIZED_RANGES } from "./stack-access.js";

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
