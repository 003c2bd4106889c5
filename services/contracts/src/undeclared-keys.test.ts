import { describe, expect, it } from "vitest";
import { z } from "zod";
import { undeclaredKeys } from "./undeclared-keys.js";

describe("undeclaredKeys", () => {
  const schema = z.object({
    network: z.object({ addressSpace: z.string().default("10.0.0.0/16") }).prefault({}),
    pools: z.array(z.object({ name: z.string() })).optional(),
    capacity: z.union([
      z.object({ mode: z.literal("serverless") }),
      z.object({ mode: z.literal("autoscale"), maxThroughput: z.number() }),
    ]),
    tags: z.record(z.string(), z.string()).default({}),
  });

  it("finds misspelt keys at any depth, through defaults, arrays and unions", () => {
    const value = {
      netwrok: {},
      network: { adressSpace: "10.1.0.0/16" },
      pools: [{ name: "a" }, { name: "b", size: 3 }],
      capacity: { mode: "serverless", maxThroughput: 4000, burst: true },
      tags: { anything: "goes" },
    };
    expect(undeclaredKeys(schema, value)).toEqual([
      ["netwrok"],
      ["network", "adressSpace"],
      ["pools", "1", "size"],
      // Read as serverless, which drops maxThroughput though autoscale declares it.
      ["capacity", "maxThroughput"],
      ["capacity", "burst"],
    ]);
  });

  it("finds nothing in a value that only uses declared keys, or is not an object", () => {
    expect(
      undeclaredKeys(schema, {
        network: { addressSpace: "10.0.0.0/16" },
        capacity: { mode: "autoscale", maxThroughput: 4000 },
      }),
    ).toEqual([]);
    expect(undeclaredKeys(schema, "text")).toEqual([]);
  });
});
