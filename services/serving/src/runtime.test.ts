import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MIN_NODE_VERSION, unsupportedNode } from "./runtime.js";

describe("unsupportedNode", () => {
  it.each(["20.20.2", "22.12.0", "24.10.9", "24.9.0"])(
    "refuses Node %s, saying what to run",
    (v) => {
      expect(unsupportedNode(v)).toBe(
        `Node ${v} is too old: the platform needs Node 24.11.0 or later; run it through pnpm (pnpm start), which puts the project's own Node first on the PATH`,
      );
    },
  );

  it.each(["24.11.0", "24.11.1", "24.21.0", "25.0.0", "26.10.0", process.versions.node])(
    "runs on Node %s",
    (v) => {
      expect(unsupportedNode(v)).toBeUndefined();
    },
  );

  it("holds the version the root package's engines field names", () => {
    const root = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    );
    const floor = String(root.engines.node).replace(/^>=/, "").split(".");
    expect(MIN_NODE_VERSION).toBe([...floor, "0", "0"].slice(0, 3).join("."));
  });
});
