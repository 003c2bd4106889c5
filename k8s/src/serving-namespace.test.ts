import { describe, expect, it } from "vitest";
import { type ServingNamespaceArgs, validateServingNamespaceArgs } from "./serving-namespace.js";

const base: ServingNamespaceArgs = {
  provider: undefined as never,
  namespace: "ml-serving",
  containerPort: 8080,
  quota: {
    requests: { cpuMillis: 10_000, memoryMiB: 20_480 },
    limits: { cpuMillis: 20_000, memoryMiB: 20_480 },
    pods: 20,
  },
};

describe("validateServingNamespaceArgs", () => {
  const check = (patch: Partial<ServingNamespaceArgs>) => () =>
    validateServingNamespaceArgs({ ...base, ...patch });

  it("names the field and the rule", () => {
    expect(check({})).not.toThrow();
    expect(check({ namespace: "ml_serving" })).toThrow(
      'namespace: "ml_serving" must be a DNS-1123 label',
    );
    expect(check({ containerPort: 70_000 })).toThrow(
      "containerPort: 70000 must be an integer in 1-65535",
    );
    expect(check({ quota: { ...base.quota, pods: 0 } })).toThrow(
      "quota.pods: 0 must be an integer in 1-9007199254740991",
    );
    expect(check({ egressCidrs: ["10.0.0.0/33"] })).toThrow(
      'egressCidrs[0]: "10.0.0.0/33" must be an IPv4 CIDR such as 10.0.0.0/16',
    );
    expect(check({ egressCidrs: ["300.0.0.0/8"] })).toThrow('egressCidrs[0]: "300.0.0.0/8"');
    expect(check({ containerMax: { cpuMillis: 500, memoryMiB: 4096 } })).toThrow(
      "containerMax.cpuMillis: 500 must be >= containerDefaults.limits.cpuMillis (1000)",
    );
    // Past 2^53 a number prints with an exponent ("1e+21m") or rounded: not a quantity.
    expect(check({ containerMax: { cpuMillis: 1e21, memoryMiB: 4096 } })).toThrow(
      "containerMax.cpuMillis: 1e+21 must be an integer in 1-9007199254740991",
    );
    expect(
      check({ quota: { ...base.quota, requests: { cpuMillis: 1e21, memoryMiB: 20_480 } } }),
    ).toThrow("quota.requests.cpuMillis: 1e+21 must be an integer in 1-9007199254740991");
    // An egress rule with an empty `to` matches every destination: refused, not rendered.
    expect(check({ egressCidrs: [] })).toThrow(
      "egressCidrs: must list at least one CIDR (an empty list would open TCP 443 to every destination); leave unset for 0.0.0.0/0",
    );
  });
});
