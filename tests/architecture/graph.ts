/**
 * The workspace as a graph: its packages (from pnpm-workspace.yaml and each package.json) and
 * every import of every TypeScript file, resolved to a file or to a workspace package entry.
 * The architecture test asserts DESIGN.md's rules over it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { parse as parseYaml } from "yaml";

export interface WorkspacePackage {
  name: string;
  /** Folder relative to the repository root, with forward slashes. */
  dir: string;
  /** Workspace packages named in dependencies, devDependencies or peerDependencies. */
  workspaceDeps: string[];
  /** Subpaths the package exports ("." and "./x"). */
  exportKeys: string[];
}

export interface ImportEdge {
  /** Importing file, relative to the root. */
  from: string;
  specifier: string;
  /** Erased at run time (`import type`, or every named binding is `type`). */
  typeOnly: boolean;
  /** The file it resolves to, when it resolves inside the workspace. */
  to?: string;
  /** The workspace package it names, for `@scope/name[/sub]` specifiers. */
  toPackage?: string;
  /** The `./sub` part of a package specifier ("." for the bare name). */
  subpath?: string;
}

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".mlops", "coverage", ".bench"]);

export function readWorkspace(root: string): WorkspacePackage[] {
  const manifest = parseYaml(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")) as {
    packages: string[];
  };
  const dirs = manifest.packages.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(root, parent))
      .map((child) => `${parent}/${child}`)
      .filter((dir) => existsSync(join(root, dir, "package.json")));
  });
  const packages = dirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      name: string;
      exports?: Record<string, unknown> | string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const declared = {
      ...pkg.dependencies,
      ...pkg.devDependencies,
      ...pkg.peerDependencies,
    };
    return {
      name: pkg.name,
      dir,
      workspaceDeps: Object.entries(declared)
        .filter(([, range]) => range.startsWith("workspace:"))
        .map(([name]) => name),
      exportKeys:
        pkg.exports === undefined
          ? []
          : typeof pkg.exports === "string"
            ? ["."]
            : Object.keys(pkg.exports),
    };
  });
  return packages;
}

/** Every .ts/.mts/.tsx file under the package folders, relative to the root. */
export function sourceFiles(root: string, packages: WorkspacePackage[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir))) {
      if (SKIP_DIRS.has(entry)) continue;
      const path = `${dir}/${entry}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.(m?ts|tsx)$/.test(entry) && !entry.endsWith(".d.ts")) files.push(path);
    }
  };
  for (const pkg of packages) walk(pkg.dir);
  return files.sort();
}

export function packageOf(
  file: string,
  packages: WorkspacePackage[],
): WorkspacePackage | undefined {
  return packages
    .filter((pkg) => file.startsWith(`${pkg.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** `{ type A, type B }`: named bindings, every one of them a type. */
function allTypes(named: ts.Node | undefined): boolean {
  return (
    named !== undefined &&
    (ts.isNamedImports(named) || ts.isNamedExports(named)) &&
    named.elements.length > 0 &&
    named.elements.every((element) => element.isTypeOnly)
  );
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly || allTypes(node.exportClause);
  const clause = node.importClause;
  if (clause === undefined) return false; // `import "x"` runs x.
  if (clause.isTypeOnly) return true;
  return clause.name === undefined && allTypes(clause.namedBindings);
}

/** The module specifiers a file names: static imports and re-exports, and literal `import()`. */
export function importsOf(
  text: string,
  fileName: string,
): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0] as ts.Expression)
    ) {
      found.push({ specifier: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal)) {
        found.push({ specifier: argument.literal.text, typeOnly: true });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** A relative specifier as NodeNext writes it (`./x.js`) to the TypeScript file it means. */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, ".ts"),
    base.replace(/\.mjs$/, ".mts"),
    base.replace(/\.js$/, ".tsx"),
    base,
    `${base}.ts`,
    join(base, "index.ts"),
  ];
  const hit = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return hit === undefined ? undefined : relative(root, hit).split(sep).join("/");
}

export function importEdges(root: string, packages: WorkspacePackage[]): ImportEdge[] {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root, packages)) {
    const text = readFileSync(join(root, file), "utf8");
    for (const { specifier, typeOnly } of importsOf(text, file)) {
      if (specifier.startsWith(".")) {
        edges.push({ from: file, specifier, typeOnly, to: resolveRelative(root, file, specifier) });
        continue;
      }
      const match = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(specifier);
      const name = match?.[1];
      if (name === undefined || !byName.has(name)) continue;
      edges.push({
        from: file,
        specifier,
        typeOnly,
        toPackage: name,
        subpath: match?.[2] === undefined ? "." : `.${match[2]}`,
      });
    }
  }
  return edges;
}

/** Strongly connected components with more than one node, or a node that reaches itself. */
export function cycles(nodes: string[], next: (node: string) => string[]): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  const connect = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of next(node)) {
      if (!indexOf.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, indexOf.get(target) as number));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || next(node).includes(node)) found.push(component.sort());
    }
  };
  for (const node of nodes) if (!indexOf.has(node)) connect(node);
  return found;
}
