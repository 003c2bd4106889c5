/**
 * Which methods a path is served with, for the answer to a method it is not (405 with `Allow`,
 * RFC 9110 §15.5.6) where the router itself only knows "no route". The routes are recorded as
 * they are registered (`onRoute`); a path is matched against their patterns only on that error
 * path, never on a served request.
 */
import type { RouteOptions } from "fastify";

/** A route pattern's matcher: `:param` is one path segment, `*` the rest of the path. */
function matcher(url: string): RegExp {
  const source = url
    .split("/")
    .map((segment) =>
      segment === "*"
        ? ".*"
        : segment.startsWith(":")
          ? "[^/]+"
          : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}

export class AllowedMethods {
  private readonly routes: { readonly pattern: RegExp; readonly methods: readonly string[] }[] = [];

  /** Records a route (Fastify's `onRoute` hook). */
  readonly record = (route: RouteOptions): void => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    this.routes.push({ pattern: matcher(route.url), methods });
  };

  /** The methods `path` is served with, in a stable order; empty when no route matches it. */
  of(path: string): string[] {
    const found = new Set<string>();
    for (const { pattern, methods } of this.routes) {
      if (pattern.test(path)) for (const method of methods) found.add(method);
    }
    return [...found].sort();
  }
}
