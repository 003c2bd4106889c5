import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorResponseSchema, HEALTH_PATHS } from "./api.js";
import { EDGE_SECRETS, isPublicPath, PUBLIC_PATH_PREFIXES, PUBLIC_PATHS } from "./edge.js";
import {
  ContractValidationError,
  listedIssues,
  MAX_ISSUE_TEXT,
  MAX_LISTED_ISSUES,
} from "./errors.js";
import { MAX_TEXT } from "./primitives.js";

describe("isPublicPath", () => {
  it("admits the prediction, feedback and GARCH routes and the readiness probe", () => {
    for (const path of [
      "/predict",
      "/predict/batch",
      "/feedback",
      "/garch/forecast",
      "/garch/fit-forecast?x=1",
      HEALTH_PATHS.ready,
    ]) {
      expect(isPublicPath(path), path).toBe(true);
    }
  });

  it("keeps every operational endpoint in the cluster", () => {
    for (const path of [
      "/metrics",
      "/docs",
      "/docs/json",
      "/dashboard",
      "/dashboard/api/traffic",
      "/models",
      "/models/classifier",
      "/ab-test/stats",
      HEALTH_PATHS.live,
      "/health",
      "/",
      "/predictions",
      "/garch",
      "/garch/forecasts",
    ]) {
      expect(isPublicPath(path), path).toBe(false);
    }
  });

  it("holds the GARCH service to its own list: its contract's paths, nothing operational", () => {
    for (const path of [
      "/health",
      "/health?x=1",
      "/models/list",
      "/predict",
      "/predict/custom?x=1",
    ]) {
      expect(isPublicPath(path, PUBLIC_PATHS.garch), path).toBe(true);
    }
    for (const path of [
      "/",
      "/metrics",
      "/docs",
      "/models",
      "/models/lists",
      "/garch/forecast",
      "/garch/fit-forecast",
      "/dashboard",
    ]) {
      expect(isPublicPath(path, PUBLIC_PATHS.garch), path).toBe(false);
    }
  });

  it("admits the GARCH service's /health exactly: the probes' paths below it stay in the cluster", () => {
    for (const path of [HEALTH_PATHS.live, HEALTH_PATHS.ready, "/health/", "/health/x?y=1"]) {
      expect(isPublicPath(path, PUBLIC_PATHS.garch), path).toBe(false);
    }
    expect(PUBLIC_PATHS.garch).toContainEqual({ path: "/health", match: "exact" });
  });

  it("keeps the prediction API's list as its prefixes, each matched as a prefix", () => {
    expect(PUBLIC_PATHS.api).toEqual(
      PUBLIC_PATH_PREFIXES.map((path) => ({ path, match: "prefix" })),
    );
    expect(isPublicPath(HEALTH_PATHS.ready, PUBLIC_PATHS.api)).toBe(true);
    expect(isPublicPath(`${HEALTH_PATHS.ready}/x`, PUBLIC_PATHS.api)).toBe(true);
  });

  it("matches an exact entry only as the whole path", () => {
    const exact = [{ path: "/a/b", match: "exact" }] as const;
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9/]{1,8}$/), (tail) => {
        expect(isPublicPath(`/a/b${tail}`, exact)).toBe(false);
        expect(isPublicPath(`/a/b?${tail}`, exact)).toBe(true);
      }),
    );
  });

  it("matches whole path elements only, like PathPrefix and Ingress Prefix", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PUBLIC_PATH_PREFIXES),
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
        (prefix, tail) => {
          expect(isPublicPath(`${prefix}/${tail}`)).toBe(true);
          expect(isPublicPath(`${prefix}${tail}`)).toBe(false);
        },
      ),
    );
  });
});

describe("EDGE_SECRETS", () => {
  it("names Key Vault secrets and files that are valid, distinct, with two of each kind", () => {
    for (const s of EDGE_SECRETS) {
      expect(s.vaultName).toMatch(/^[a-zA-Z0-9-]{1,127}$/);
      expect(s.file.startsWith(`${s.kind}-`)).toBe(true);
    }
    expect(new Set(EDGE_SECRETS.map((s) => s.file)).size).toBe(EDGE_SECRETS.length);
    expect(EDGE_SECRETS.filter((s) => s.kind === "api-key")).toHaveLength(2);
    expect(EDGE_SECRETS.filter((s) => s.kind === "canary-token")).toHaveLength(2);
  });
});

describe("bounded validation errors", () => {
  const many = (n: number, pathLength = 12) =>
    Array.from({ length: n }, (_, i) => ({
      path: `returns[${i}]`.padEnd(pathLength, "x"),
      message: "Invalid input: expected number, received string",
    }));

  it("list at most MAX_LISTED_ISSUES issues and count the rest", () => {
    const error = new ContractValidationError("POST /garch/fit-forecast body", many(300));
    expect(error.issues).toHaveLength(300);
    expect(error.message).toMatch(/; and 290 more$/);
    expect(listedIssues(error.issues)).toHaveLength(MAX_LISTED_ISSUES);
  });

  it("fit an error reply whatever the issues, their number and their length", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 5000 }), (n, len) => {
        const error = new ContractValidationError("POST /predict/batch body", many(n, len));
        const issues = listedIssues(error.issues);
        for (const issue of issues) expect(issue.path.length).toBeLessThanOrEqual(MAX_ISSUE_TEXT);
        expect(error.message.length).toBeLessThanOrEqual(MAX_TEXT);
        const reply = {
          error: "VALIDATION_FAILED",
          message: error.message,
          issues,
          issue_count: error.issues.length,
        };
        expect(ErrorResponseSchema.safeParse(reply).success).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
