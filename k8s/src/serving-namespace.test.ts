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
      "quota.pods: 0 must be a positive integer",
    );
    expect(check({ egressCidrs: ["10.0.0.0/33"] })).toThrow(
      'egressCidrs[0]: "10.0.0.0/33" must be an IPv4 CIDR such as 10.0.0.0/16',
    );
    expect(check({ egressCidrs: ["300.0.0.0/8"] })).toThrow('egressCidrs[0]: "300.0.0.0/8"');
    expect(check({ containerMax: { cpuMillis: 500, memoryMiB: 4096 } })).toThrow(
      "containerMax.cpuMillis: 500 must be an integer >= containerDefaults.limits.cpuMillis (1000)",
    );
  });
});
