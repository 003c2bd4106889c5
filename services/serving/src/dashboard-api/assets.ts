/**
 * The page's static files, bundled with esbuild in memory on first request (once per process),
 * so `pnpm start` needs no build step and the image needs no build output. Asset names carry a
 * content hash, so they are cached forever; the HTML names the current ones and is never cached.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** The front end's sources. */
const SOURCES = fileURLToPath(new URL("../../dashboard-ui/", import.meta.url));

/** A file the page loads. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface Bundle {
  readonly html: string;
  /** By file name (under the assets prefix). */
  readonly assets: ReadonlyMap<string, Asset>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** `name-<hash>.ext` over the bytes, as esbuild names its outputs. */
function hashedName(file: string, body: Buffer): string {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return `${basename(file, extname(file))}-${hash}${extname(file)}`;
}

async function bundle(prefix: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [`${SOURCES}src/main.ts`],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    outdir: "/",
    entryNames: "[name]-[hash]",
    logLevel: "silent",
  });
  const assets = new Map<string, Asset>();
  for (const out of result.outputFiles) {
    assets.set(basename(out.path), {
      body: Buffer.from(out.contents),
      type: TYPES[extname(out.path)]!,
    });
  }
  const icon = await readFile(`${SOURCES}icon.svg`);
  const iconName = hashedName("icon.svg", icon);
  assets.set(iconName, { body: icon, type: TYPES[".svg"]! });
  const named = (ext: string) =>
    [...assets.keys()].find((k) => k.startsWith("main-") && k.endsWith(ext))!;
  const template = await readFile(`${SOURCES}index.html`, "utf8");
  const html = template
    .replace("%SCRIPT%", `${prefix}/${named(".js")}`)
    .replace("%STYLE%", `${prefix}/${named(".css")}`)
    .replace("%ICON%", `${prefix}/${iconName}`);
  return { html, assets };
}

const bundles = new Map<string, Promise<Bundle>>();

/** The bundle for assets served under `prefix`; built once, shared by every app in the process. */
export function dashboardBundle(prefix: string): Promise<Bundle> {
  let pending = bundles.get(prefix);
  if (!pending) {
    pending = bundle(prefix);
    // A failed build is retried on the next request rather than remembered.
    pending.catch(() => bundles.delete(prefix));
    bundles.set(prefix, pending);
  }
  return pending;
}
