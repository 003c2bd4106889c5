import { describe, expect, it } from "vitest";
import {
  assertOneCanaryPerRule,
  type CanaryIngressArgs,
  canaryAnnotations,
  canaryWeightAnnotation,
  validateCanaryIngressArgs,
} from "./canary-ingress.js";
import type { IngressRule } from "./routes.js";

const base: CanaryIngressArgs = {
  provider: undefined as never,
  namespace: "ml-serving",
  rules: [{ host: "api.ml.example.com" }],
  stable: { name: "serving-champion", port: 80 },
  canary: { name: "serving-challenger", port: 80 },
  canaryWeight: 25,
};

describe("canaryWeightAnnotation", () => {
  it("renders integers 0-100 as strings", () => {
    expect(canaryWeightAnnotation(0)).toBe("0");
    expect(canaryWeightAnnotation(100)).toBe("100");
  });

  it("rejects fractions and out-of-range weights", () => {
    for (const bad of [-1, 101, 12.5, Number.NaN]) {
      expect(() => canaryWeightAnnotation(bad)).toThrow(
        `canaryWeight: ${bad} must be an integer in 0-100`,
      );
    }
  });
});

describe("canaryAnnotations", () => {
  it("sets header routing always, cookie routing when asked, and the weight", () => {
    expect(canaryAnnotations({ canaryWeight: 5 })).toEqual({
      "nginx.ingress.kubernetes.io/canary": "true",
      "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
      "nginx.ingress.kubernetes.io/canary-weight": "5",
    });
    expect(
      canaryAnnotations({ canaryWeight: 5, canaryHeader: "X-Arm", canaryCookie: "arm" }),
    ).toMatchObject({
      "nginx.ingress.kubernetes.io/canary-by-header": "X-Arm",
      "nginx.ingress.kubernetes.io/canary-by-cookie": "arm",
    });
  });
});

describe("assertOneCanaryPerRule", () => {
  it("allows distinct rules and rejects a second canary for the same host and path", () => {
    const a: IngressRule[] = [{ host: "api.example.com" }];
    const b: IngressRule[] = [{ host: "api.example.com", path: "/garch" }];
    expect(() =>
      assertOneCanaryPerRule(
        new Map([
          ["a", a],
          ["b", b],
        ]),
      ),
    ).not.toThrow();
    expect(() =>
      assertOneCanaryPerRule(
        new Map<string, IngressRule[]>([
          ["a", a],
          ["c", [{ host: "api.example.com", path: "/" }]],
        ]),
      ),
    ).toThrow(
      "rules: api.example.com/ already has a canary (a); ingress-nginx allows one canary Ingress per rule, so c cannot add another",
    );
  });
});

describe("validateCanaryIngressArgs", () => {
  const check = (patch: Partial<CanaryIngressArgs>) => () =>
    validateCanaryIngressArgs("serving-ingress", { ...base, ...patch });

  it("accepts the realistic arguments", () => {
    expect(check({})).not.toThrow();
  });

  it("names the field and the rule", () => {
    expect(check({ canaryWeight: 150 })).toThrow("canaryWeight: 150 must be an integer in 0-100");
    expect(check({ rules: [] })).toThrow("rules: at least one host is required");
    expect(check({ rules: [{ host: "API.example.com" }] })).toThrow(
      `rules[0].host: "API.example.com" must be a DNS-1123 subdomain`,
    );
    expect(check({ rules: [{ host: "api.example.com", path: "predict" }] })).toThrow(
      `rules[0].path: "predict" must start with '/' and contain no whitespace`,
    );
    expect(
      check({ rules: [{ host: "api.example.com" }, { host: "api.example.com", path: "/" }] }),
    ).toThrow(
      "rules: api.example.com/ already has a canary (rules[0]); ingress-nginx allows one canary Ingress per rule, so rules[1] cannot add another",
    );
    expect(check({ canary: { name: "c", port: 0 } })).toThrow(
      "canary.port: 0 must be an integer in 1-65535",
    );
    expect(check({ canaryHeader: "X Canary" })).toThrow(
      'canaryHeader: "X Canary" must be an HTTP header name',
    );
    expect(check({ affinityCookie: "a;b" })).toThrow('affinityCookie: "a;b" must be a cookie name');
  });
});
