import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertDns1123Label, assertDns1123Subdomain } from "./names.js";

describe("assertDns1123Label", () => {
  it("accepts labels up to 63 characters", () => {
    for (const ok of ["a", "ml-serving", "champion-0", "a".repeat(63)]) {
      expect(() => assertDns1123Label("namespace", ok)).not.toThrow();
    }
  });

  it("rejects length and character violations, naming the field", () => {
    expect(() => assertDns1123Label("namespace", "a".repeat(64))).toThrow(
      `namespace: "${"a".repeat(64)}" must be 1-63 characters long`,
    );
    expect(() => assertDns1123Label("namespace", "")).toThrow(
      'namespace: "" must be 1-63 characters long',
    );
    for (const bad of ["Serving", "-a", "a-", "a.b", "a_b"]) {
      expect(() => assertDns1123Label("namespace", bad)).toThrow(
        `namespace: "${bad}" must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
      );
    }
  });

  it("accepts exactly the strings Kubernetes' label regex accepts", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,63}$/), (s) => {
        const check = () => assertDns1123Label("f", s);
        if (s.startsWith("-") || s.endsWith("-")) expect(check).toThrow(/DNS-1123 label/);
        else expect(check).not.toThrow();
      }),
      { seed: 7 },
    );
  });
});

describe("assertDns1123Subdomain", () => {
  it("accepts dotted names up to 253 characters", () => {
    expect(() => assertDns1123Subdomain("host", "api.ml.example.com")).not.toThrow();
    expect(() =>
      assertDns1123Subdomain("host", `${"a".repeat(63)}.${"b".repeat(63)}`),
    ).not.toThrow();
  });

  it("rejects bad subdomains", () => {
    expect(() => assertDns1123Subdomain("host", "api..example.com")).toThrow(
      `host: "api..example.com" must be a DNS-1123 subdomain (lower-case labels of letters, digits and '-', separated by '.')`,
    );
    expect(() => assertDns1123Subdomain("host", "a".repeat(254))).toThrow(
      "must be 1-253 characters long",
    );
  });
});
