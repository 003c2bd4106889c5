import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { azureNames, namingViolations } from "./names.js";

/** Pulumi stack names: 1–100 letters, digits, hyphens, underscores and dots. */
const stackName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,100}$/);

describe("azureNames", () => {
  it("derives names within every Azure limit for any stack name", () => {
    fc.assert(
      fc.property(stackName, (stack) => {
        expect(namingViolations(azureNames("mlops-platform", stack))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("gives different stacks different global names", () => {
    fc.assert(
      fc.property(stackName, stackName, (a, b) => {
        fc.pre(a !== b);
        const x = azureNames("mlops-platform", a);
        const y = azureNames("mlops-platform", b);
        expect(x.storageAccount).not.toBe(y.storageAccount);
        expect(x.registry).not.toBe(y.registry);
        expect(x.keyVault).not.toBe(y.keyVault);
      }),
    );
  });

  it("is stable across runs and readable for ordinary stacks", () => {
    expect(azureNames("mlops-platform", "prod")).toEqual(azureNames("mlops-platform", "prod"));
    expect(azureNames("mlops-platform", "prod").keyVault).toMatch(/^kv-prod-[0-9a-f]{8}$/);
  });

  it("reports a name that breaks its rule", () => {
    expect(namingViolations({ storageAccount: "Has-Dashes" })).toEqual([
      'storageAccount name "Has-Dashes" breaks the rule: 3–24 lowercase letters and digits',
    ]);
    expect(namingViolations({ keyVault: "kv--double" })).toHaveLength(1);
  });

  it("gives a recreated stack (next generation) new global names, still valid", () => {
    const first = azureNames("mlops-platform", "prod");
    expect(azureNames("mlops-platform", "prod", 0)).toEqual(first);
    const again = azureNames("mlops-platform", "prod", 1);
    for (const kind of Object.keys(first) as (keyof typeof first)[]) {
      expect(again[kind], kind).not.toBe(first[kind]);
    }
    expect(namingViolations(again)).toEqual([]);
  });
});
