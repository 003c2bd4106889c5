/**
 * DESIGN.md's layout as a test: which package may depend on which, no cycles (between packages,
 * or between modules anywhere in the workspace), no deep imports into another package's
 * internals, and production code that never reaches for test support.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cycles,
  type ImportEdge,
  importEdges,
  importsOf,
  packageOf,
  readWorkspace,
  type WorkspacePackage,
} from "./graph.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * DESIGN.md, "Dependencies point one way": each package and the workspace packages it may use.
 * A new package gets a row here, placed where the design puts it.
 */
const MAY_USE: Record<string, readonly string[]> = {
  "@mlops/garch": [],
  "@mlops/contracts": [],
  "@mlops/models": ["@mlops/contracts", "@mlops/garch"],
  "@mlops/store": ["@mlops/contracts", "@mlops/garch"],
  "@mlops/experiments": ["@mlops/contracts", "@mlops/garch", "@mlops/store"],
  "@mlops/release": ["@mlops/contracts", "@mlops/garch", "@mlops/store", "@mlops/experiments"],
  "@mlops/training": [
    "@mlops/contracts",
    "@mlops/garch",
    "@mlops/models",
    "@mlops/store",
    "@mlops/experiments",
    "@mlops/release",
  ],
  // Serving fits GARCH on posted returns (`/garch/fit-forecast`), hence the numeric core.
  "@mlops/serving": [
    "@mlops/contracts",
    "@mlops/garch",
    "@mlops/models",
    "@mlops/store",
    "@mlops/experiments",
  ],
  // `pnpm start`: training's demo models, then the server. The one place both meet.
  "@mlops/start": ["@mlops/contracts", "@mlops/store", "@mlops/training", "@mlops/serving"],
  // The HPA simulator's diurnal trace draws its jitter from the one seeded generator
  // (`@mlops/garch/random`); garch depends on nothing of ours, so the edge points down.
  "@mlops/k8s": ["@mlops/contracts", "@mlops/garch"],
  "@mlops/infra": ["@mlops/contracts", "@mlops/k8s"],
};
/** The cross-package suites may use every package. */
const TESTS = "@mlops/tests";

const isTestFile = (file: string): boolean =>
  /\.test\.m?ts$/.test(file) ||
  /(^|\/)test-support\//.test(file) ||
  /\.test-support\.ts$/.test(file);

/** Code a production build ships: a package's `src/`, tests excluded. */
const isProduction = (file: string, pkg: WorkspacePackage): boolean =>
  pkg.name !== TESTS && file.startsWith(`${pkg.dir}/src/`) && !isTestFile(file);

let packages: WorkspacePackage[];
let edges: ImportEdge[];
const ownerOf = (file: string): WorkspacePackage => {
  const pkg = packageOf(file, packages);
  if (pkg === undefined) throw new Error(`${file} belongs to no workspace package`);
  return pkg;
};

beforeAll(() => {
  packages = readWorkspace(root);
  edges = importEdges(root, packages);
});

describe("the graph reader", () => {
  it("sees static, re-exported, dynamic and type-only imports", () => {
    const found = importsOf(
      [
        'import a from "./a.js";',
        'import type { B } from "./b.js";',
        'import { type C, type D } from "./c.js";',
        'import { type E, f } from "./e.js";',
        'export { g } from "./g.js";',
        'export type { H } from "./h.js";',
        'import "./side-effect.js";',
        'const lazy = await import("./lazy.js");',
        'let t: import("./t.js").T;',
      ].join("\n"),
      "x.ts",
    );
    expect(found).toEqual([
      { specifier: "./a.js", typeOnly: false },
      { specifier: "./b.js", typeOnly: true },
      { specifier: "./c.js", typeOnly: true },
      { specifier: "./e.js", typeOnly: false },
      { specifier: "./g.js", typeOnly: false },
      { specifier: "./h.js", typeOnly: true },
      { specifier: "./side-effect.js", typeOnly: false },
      { specifier: "./lazy.js", typeOnly: false },
      { specifier: "./t.js", typeOnly: true },
    ]);
  });

  it("finds cycles and only cycles", () => {
    const graph: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a"], d: ["d"], e: ["a"] };
    expect(cycles(Object.keys(graph), (node) => graph[node] ?? [])).toEqual([
      ["a", "b", "c"],
      ["d"],
    ]);
    expect(cycles(["x", "y"], (node) => (node === "x" ? ["y"] : []))).toEqual([]);
  });
});

describe("the workspace follows DESIGN.md", () => {
  it("places every package in the design's dependency order", () => {
    const unplaced = packages
      .map((pkg) => pkg.name)
      .filter((name) => name !== TESTS && !(name in MAY_USE));
    expect(unplaced, "packages without a row in MAY_USE").toEqual([]);
    const gone = Object.keys(MAY_USE).filter((name) => !packages.some((pkg) => pkg.name === name));
    expect(gone, "rows in MAY_USE for packages that do not exist").toEqual([]);
  });

  it("declares only the workspace dependencies the design allows", () => {
    const against = packages.flatMap((pkg) =>
      pkg.name === TESTS
        ? []
        : pkg.workspaceDeps
            .filter((dep) => !(MAY_USE[pkg.name] ?? []).includes(dep))
            .map((dep) => `${pkg.name} -> ${dep}`),
    );
    expect(against).toEqual([]);
  });

  it("imports only packages it declares and the design allows", () => {
    const bad = edges.flatMap((edge) => {
      if (edge.toPackage === undefined) return [];
      const pkg = ownerOf(edge.from);
      if (edge.toPackage === pkg.name) return [`${edge.from}: imports its own package by name`];
      const problems: string[] = [];
      if (!pkg.workspaceDeps.includes(edge.toPackage)) {
        problems.push(`${edge.from}: ${edge.toPackage} is not in ${pkg.dir}/package.json`);
      }
      if (pkg.name !== TESTS && !(MAY_USE[pkg.name] ?? []).includes(edge.toPackage)) {
        problems.push(`${edge.from}: ${pkg.name} may not use ${edge.toPackage}`);
      }
      return problems;
    });
    expect(bad).toEqual([]);
  });

  it("has no cycle between packages", () => {
    const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
    expect(cycles([...byName.keys()], (name) => byName.get(name)?.workspaceDeps ?? [])).toEqual([]);
  });

  it("has no import cycle between modules anywhere in the workspace", () => {
    const entryOf = new Map<string, string>();
    for (const pkg of packages) {
      const manifest = JSON.parse(readFileSync(`${root}/${pkg.dir}/package.json`, "utf8")) as {
        exports?: Record<string, string | Record<string, string>> | string;
      };
      const exports = manifest.exports;
      const dot = typeof exports === "string" ? exports : exports?.["."];
      const target =
        typeof dot === "string" ? dot : (dot?.development ?? dot?.import ?? dot?.default);
      if (target?.endsWith(".ts")) {
        entryOf.set(pkg.name, `${pkg.dir}/${target.replace(/^\.\//, "")}`);
      }
    }
    const next = new Map<string, string[]>();
    for (const edge of edges) {
      const to =
        edge.to ??
        (edge.toPackage !== undefined && edge.subpath === "."
          ? entryOf.get(edge.toPackage)
          : undefined);
      if (to === undefined) continue;
      next.set(edge.from, [...(next.get(edge.from) ?? []), to]);
    }
    expect(cycles([...next.keys()], (file) => next.get(file) ?? [])).toEqual([]);
  });

  it("never imports another package's internals", () => {
    const deep = edges.flatMap((edge) => {
      if (edge.toPackage !== undefined) {
        const target = packages.find((pkg) => pkg.name === edge.toPackage) as WorkspacePackage;
        return target.exportKeys.includes(edge.subpath ?? ".")
          ? []
          : [`${edge.from}: ${edge.specifier} is not exported by ${target.name}`];
      }
      if (edge.to === undefined) return [`${edge.from}: ${edge.specifier} does not resolve`];
      const from = ownerOf(edge.from);
      const to = ownerOf(edge.to);
      return from.name === to.name
        ? []
        : [`${edge.from}: reaches into ${to.name} by a relative path (${edge.specifier})`];
    });
    expect(deep).toEqual([]);
  });

  it("keeps test support out of production code", () => {
    const leaks = edges.flatMap((edge) => {
      const pkg = ownerOf(edge.from);
      if (!isProduction(edge.from, pkg)) return [];
      const reachesTests =
        (edge.to !== undefined && isTestFile(edge.to)) ||
        (edge.subpath !== undefined && /test-support/.test(edge.subpath));
      return reachesTests ? [`${edge.from}: imports ${edge.specifier}`] : [];
    });
    expect(leaks).toEqual([]);
  });

  it("keeps test support out of src/", () => {
    const misplaced = packages.flatMap((pkg) =>
      edges
        .flatMap((edge) => (edge.to?.startsWith(`${pkg.dir}/src/`) ? [edge.to] : []))
        .filter((to) => /test-support|\.fixture\.ts$/.test(to)),
    );
    expect([...new Set(misplaced)]).toEqual([]);
  });
});
