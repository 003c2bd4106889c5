/**
 * The images' Dockerfiles (the serving API, and the training environment of Azure ML jobs),
 * checked without a Docker engine (none runs here, and no base image could be pulled): each lints
 * clean with `dockerfile-utils`, builds only from files the repository tracks (plus, for serving,
 * the model artifacts the pipeline's train job hands over), and runs as a non-root user.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SERVING_IMAGE_DATA_DIR } from "@mlops/k8s";
import { Copy, type Dockerfile, DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadWorkflow, ROOT, run } from "./support.js";

/** The build argument through which the pipeline passes the trained models. */
const ARTIFACTS_ARG = "ARTIFACTS";

async function parse(path: string): Promise<{ text: string; dockerfile: Dockerfile }> {
  const text = await readFile(join(ROOT, path), "utf8");
  return { text, dockerfile: DockerfileParser.parse(text) };
}

/** The instructions of the last stage: what the image runs with. */
function finalStage(dockerfile: Dockerfile): Instruction[] {
  const start = dockerfile.getFROMs().at(-1)!.getRange().start.line;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line >= start);
}

/** COPY/ADD sources from the build context (not `--from` another stage), variables resolved. */
function contextSources(dockerfile: Dockerfile): { raw: string; resolved: string }[] {
  return dockerfile
    .getInstructions()
    .filter((i) => ["COPY", "ADD"].includes(i.getKeyword()))
    .filter((i) => !(i instanceof Copy && i.getFromFlag() !== null))
    .flatMap((i) => {
      const args = i
        .getArguments()
        .map((a) => a.getValue())
        .filter((a) => !a.startsWith("--"));
      const line = i.getRange().start.line;
      return args.slice(0, -1).map((raw) => ({
        raw,
        resolved: raw.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
          const value = dockerfile.resolveVariable(name, line);
          if (typeof value !== "string") throw new Error(`${raw}: ${name} has no default`);
          return value;
        }),
      }));
    });
}

/**
 * The base image's Node version: the `node:X.Y.Z-bookworm-slim` tag that opens the comment
 * directly above `ARG NODE_IMAGE` (the argument itself is a bare digest).
 */
function imageNodeVersion(text: string): string {
  const lines = text.split("\n");
  const arg = lines.findIndex((l) => l.startsWith("ARG NODE_IMAGE="));
  let first = arg;
  while (first > 0 && lines[first - 1]!.startsWith("#")) first--;
  const version = /^# node:(\d+\.\d+\.\d+)-bookworm-slim\b/.exec(lines[first] ?? "")?.[1];
  if (!version) {
    throw new Error(
      `the comment above ARG NODE_IMAGE opens with no node:X.Y.Z-bookworm-slim tag: "${lines[first]}"`,
    );
  }
  return version;
}

/** A plain `MAJOR.MINOR.PATCH` version as one number that orders like the version. */
const versionRank = (version: string): number =>
  version.split(".").reduce((rank, part) => rank * 1000 + Number(part), 0);

/** The folders of the workspace packages `name` bundles (its workspace dependencies), itself included. */
async function runtimeClosure(name: string): Promise<string[]> {
  const { packages } = parseYaml(await readFile(join(ROOT, "pnpm-workspace.yaml"), "utf8")) as {
    packages: string[];
  };
  const dirs = await Promise.all(
    packages.map(async (glob) => {
      if (!glob.endsWith("/*")) return [glob];
      const parent = glob.slice(0, -2);
      return (await readdir(join(ROOT, parent))).map((child) => `${parent}/${child}`);
    }),
  );
  const byName = new Map<string, { dir: string; deps: string[] }>();
  for (const dir of dirs.flat()) {
    const manifest = JSON.parse(await readFile(join(ROOT, dir, "package.json"), "utf8"));
    const specs = { ...manifest.dependencies, ...manifest.devDependencies } as Record<
      string,
      string
    >;
    const deps = Object.entries(specs).filter(([, spec]) => spec.startsWith("workspace:"));
    byName.set(manifest.name, { dir, deps: deps.map(([dep]) => dep) });
  }
  const found = new Set<string>();
  const visit = (pkg: string) => {
    const entry = byName.get(pkg);
    if (!entry || found.has(entry.dir)) return;
    found.add(entry.dir);
    entry.deps.forEach(visit);
  };
  visit(name);
  return [...found].sort();
}

describe.each(["services/serving/Dockerfile", "training/Dockerfile"])("%s", (path) => {
  let text: string;
  let dockerfile: Dockerfile;
  beforeAll(async () => {
    ({ text, dockerfile } = await parse(path));
  });

  it("lints clean with dockerfile-utils", () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("copies into the image only files the repository tracks", async () => {
    const sources = contextSources(dockerfile).filter(
      (s) => !s.raw.includes(`$\{${ARTIFACTS_ARG}}`),
    );
    expect(sources.length).toBeGreaterThan(10);
    for (const { resolved } of sources) {
      const tracked = await run("git", ["ls-files", "--", resolved]);
      expect(tracked.stdout.trim(), `${resolved} is not in the repository`).not.toBe("");
    }
  });

  it("builds on a Node image pinned by digest, its tag in the comment above", () => {
    const arg = text.match(/^ARG NODE_IMAGE=(\S+)$/m)?.[1];
    expect(arg).toMatch(/^node@sha256:[0-9a-f]{64}$/);
    expect(() => imageNodeVersion(text)).not.toThrow();
    // Both stages (build, runtime) from that one argument.
    const fromArg = "$" + "{NODE_IMAGE}";
    expect(dockerfile.getFROMs().map((f) => f.getImage())).toEqual([fromArg, fromArg]);
  });

  it("runs a Node of the project's line: nodeVersion's major, within engines, none newer", async () => {
    // The image runs the dist/ the tests ran under the project's Node (pnpm-workspace.yaml
    // nodeVersion, the node-linux-* pins), with node_modules that pnpm installed checking
    // engines strictly against that Node. Another major, or a newer release, is a Node nothing
    // here ran; one below the engines floor is a Node the project does not support.
    const { nodeVersion } = parseYaml(
      await readFile(join(ROOT, "pnpm-workspace.yaml"), "utf8"),
    ) as { nodeVersion: string };
    const engines = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).engines.node;
    const floor = /^>=(\d+\.\d+)$/.exec(engines)?.[1];
    expect(floor, "engines.node is a >=MAJOR.MINOR floor").toBeDefined();
    const image = imageNodeVersion(text);
    expect(image.split(".")[0], `image Node ${image}, project Node ${nodeVersion}`).toBe(
      nodeVersion.split(".")[0],
    );
    expect(versionRank(image), `image Node ${image} vs engines ${engines}`).toBeGreaterThanOrEqual(
      versionRank(`${floor}.0`),
    );
    expect(
      versionRank(image),
      `image Node ${image} vs nodeVersion ${nodeVersion}`,
    ).toBeLessThanOrEqual(versionRank(nodeVersion));
  });

  it("runs compiled JavaScript with plain node: no pnpm, tsx, esbuild or TypeScript in the runtime stage", () => {
    const stage = finalStage(dockerfile);
    const cmd = stage.find((i) => i.getKeyword() === "CMD")!;
    const args = JSON.parse(cmd.getArgumentsContent()!) as string[];
    expect(args[0]).toBe("node");
    expect(args.slice(1).find((a) => !a.startsWith("-"))).toMatch(/^dist\/[\w-]+\.js$/);
    for (const instruction of stage) {
      expect(instruction.getTextContent(), "runtime stage").not.toMatch(
        /\b(pnpm|tsx|esbuild|tsc)\b|\.ts\b/,
      );
    }
  });

  it("runs as a non-root user, set before the command", () => {
    const stage = finalStage(dockerfile);
    const users = stage.filter((i) => i.getKeyword() === "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.getArgumentsContent()!.trim();
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
    const cmd = stage.findIndex((i) => i.getKeyword() === "CMD");
    expect(stage.indexOf(users.at(-1)!)).toBeLessThan(cmd);
  });
});

describe("services/serving/Dockerfile", () => {
  let dockerfile: Dockerfile;
  beforeAll(async () => {
    ({ dockerfile } = await parse("services/serving/Dockerfile"));
  });

  it("the lint does catch a broken Dockerfile (the check can fail)", () => {
    expect(validate("FROM node:20\nEXPOSE eighty\nCOPY\n").length).toBeGreaterThan(0);
  });

  it("takes the models from the artifacts the train job uploads, through one build argument", async () => {
    const fromArg = contextSources(dockerfile).filter((s) =>
      s.raw.includes(`$\{${ARTIFACTS_ARG}}`),
    );
    expect(fromArg.map((s) => s.resolved)).toEqual([".mlops/artifacts"]);
    const pipeline = (await loadWorkflow("mlops-pipeline.yml")).doc;
    const upload = pipeline.jobs.train!.steps.find((s) => s.with?.name === "models");
    expect(String(upload?.with?.path).split("\n")).toContain(fromArg[0]!.resolved);
    expect(upload?.with?.["include-hidden-files"]).toBe(true);
  });

  it("copies the sources of serving's workspace dependencies and nothing of the trainer", async () => {
    const sources = contextSources(dockerfile).map((s) => s.resolved);
    const packages = sources.filter((s) => s.endsWith("/src")).map((s) => s.slice(0, -4));
    expect(packages.sort()).toEqual(await runtimeClosure("@mlops/serving"));
    expect(sources.filter((s) => s.startsWith("training"))).toEqual([]);
  });

  it("declares its writable paths, and the k8s Deployment mounts an emptyDir on each", () => {
    const volumes = finalStage(dockerfile)
      .filter((i) => i.getKeyword() === "VOLUME")
      .flatMap((i) => JSON.parse(i.getArgumentsContent()!) as string[]);
    expect(volumes).toEqual([SERVING_IMAGE_DATA_DIR]);
    const env = finalStage(dockerfile)
      .find((i) => i.getKeyword() === "ENV")!
      .getTextContent();
    expect(env).toContain(`MLOPS_STORE=sqlite:${SERVING_IMAGE_DATA_DIR}/`);
  });

  it("ships the dashboard's front end and checks its own health", () => {
    expect(contextSources(dockerfile).map((s) => s.resolved)).toContain(
      "services/serving/dashboard-ui",
    );
    expect(finalStage(dockerfile).some((i) => i.getKeyword() === "HEALTHCHECK")).toBe(true);
  });
});

/**
 * Whether a `.dockerignore` leaves `path` (relative to the context) out of the build context, as
 * Docker's builder reads one (docs.docker.com/build/concepts/context/#dockerignore-files): `*`
 * and `?` stay within a path segment, `**` spans any number of them, a pattern matches a path or
 * any directory above it, and the last matching line decides (`!` lets a path back in).
 */
function dockerIgnores(text: string): (path: string) => boolean {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const exclude = !line.startsWith("!");
      const glob = (exclude ? line : line.slice(1)).replace(/^\/+|\/+$/g, "");
      const source = glob
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === "**/"
            ? "(?:.*/)?"
            : part === "**"
              ? ".*"
              : part === "*"
                ? "[^/]*"
                : part === "?"
                  ? "[^/]"
                  : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
        )
        .join("");
      return { exclude, pattern: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split("/");
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const { exclude, pattern } of rules) {
      if (prefixes.some((p) => pattern.test(p))) ignored = exclude;
    }
    return ignored;
  };
}

describe("training/Dockerfile", () => {
  it("its Dockerfile.dockerignore sends exactly the tracked files its COPY lines name, tests left out", async () => {
    const { dockerfile } = await parse("training/Dockerfile");
    const ignores = dockerIgnores(
      await readFile(join(ROOT, "training/Dockerfile.dockerignore"), "utf8"),
    );
    // The matcher itself: a negated directory lets its files back in, a later line wins.
    expect(dockerIgnores("*\n!a/b\n**/*.test.ts")("a/b/c.ts")).toBe(false);
    expect(dockerIgnores("*\n!a/b\n**/*.test.ts")("a/b/c.test.ts")).toBe(true);
    expect(dockerIgnores("*\n!a/b")("a/c.ts")).toBe(true);

    const sources = contextSources(dockerfile).map((s) => s.resolved);
    const tracked = (await run("git", ["ls-files"])).stdout.trim().split("\n");
    expect(tracked.length).toBeGreaterThan(100);
    const copied = (file: string) =>
      sources.some((s) => file === s || file.startsWith(`${s}/`)) && !file.endsWith(".test.ts");
    const wrong = tracked.filter((file) => ignores(file) === copied(file));
    expect(wrong).toEqual([]);
    // What must never reach the builder, tracked or not.
    for (const path of [".git/config", "node_modules/yaml/package.json", ".mlops/platform.db"]) {
      expect(ignores(path), path).toBe(true);
    }
  });

  it("copies the manifest and sources of every workspace package the `mlops` CLI imports", async () => {
    const { dockerfile } = await parse("training/Dockerfile");
    const copied = contextSources(dockerfile).map((s) => s.resolved);
    const closure = await runtimeClosure("@mlops/training");
    expect(closure).toContain("services/release");
    for (const dir of closure) {
      expect(copied).toContain(`${dir}/package.json`);
      expect(copied).toContain(`${dir}/src`);
    }
  });
});
