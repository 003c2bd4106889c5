/**
 * The page's static files, built ahead by `pnpm build` (scripts/build.ts, from the package's
 * `bundle.browser.dashboard`: the sources in dashboard-ui/) into `dist/dashboard/`: `assets/`
 * with content-hashed names, the HTML template, and `manifest.json` naming the hashed file of each
 * source. They are read on the first request for the page (a server whose dashboard nobody opens
 * never holds them) and kept. Hashed assets are cached forever; the HTML names the current ones
 * and is never cached.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";

/**
 * `dist/dashboard/`: beside the compiled entries, or the package's `dist/` seen from these
 * sources (tsx, vitest) once `pnpm build` has run.
 */
const BUILT = new URL(
  import.meta.url.endsWith(".ts") ? "../../dist/dashboard/" : "./dashboard/",
  import.meta.url,
);

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

/** The page was not built: the route answers 503 naming the command. */
export class DashboardNotBuiltError extends Error {}

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

async function load(prefix: string): Promise<Bundle> {
  const manifest = await readFile(new URL("manifest.json", BUILT), "utf8").catch(() => {
    throw new DashboardNotBuiltError("the dashboard is not built: run `pnpm build`");
  });
  const hashed = JSON.parse(manifest) as Record<string, string>;
  const assets = new Map<string, Asset>();
  for (const name of Object.values(hashed)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) {
      assets.set(name, { body: await readFile(new URL(`assets/${name}`, BUILT)), type });
    }
  }
  const named = (source: string) => `${prefix}/${hashed[source]}`;
  const template = await readFile(new URL("index.html", BUILT), "utf8");
  const html = template
    .replace("%SCRIPT%", named("main.js"))
    .replace("%STYLE%", named("main.css"))
    .replace("%ICON%", named("icon.svg"));
  return { html, assets };
}

const bundles = new Map<string, Promise<Bundle>>();

/** The page for assets served under `prefix`; read once, shared by every app in the process. */
export function dashboardBundle(prefix: string): Promise<Bundle> {
  let pending = bundles.get(prefix);
  if (!pending) {
    pending = load(prefix);
    // A failed read (not built yet) is retried on the next request rather than remembered.
    pending.catch(() => bundles.delete(prefix));
    bundles.set(prefix, pending);
  }
  return pending;
}
