/**
 * A running service's base URL, as the commands that call one take it (`mlops smoke`,
 * `mlops loadtest`, `mlops ab simulate`), and how a route joins it. A service may sit behind a
 * gateway that routes by path prefix, so the base URL's path is a prefix every route is appended
 * to: with `http://127.0.0.1:8080/api/` the API's `/health` is `/api/health`.
 */
import { z } from "zod";
import { urlCredentialsRule } from "./primitives.js";

/**
 * A route on a service: one leading `/`, no spaces (`//host/x` would name another host to
 * `new URL`, and doubles a slash once joined). It may carry a query.
 */
export const ROUTE_PATH = /^\/(?!\/)[^\s]*$/;

/** A base URL, or the rule the text broke (`must …`), for the caller to prefix with its flag. */
export type ServiceUrlResult =
  | { readonly ok: true; readonly url: URL }
  | { readonly ok: false; readonly rule: string };

/**
 * Reads `text` as a service's base URL: absolute, http or https (so it has a host: the URL
 * parser refuses `http://` without one), no `user:password@`, and no query or fragment, which a
 * joined route would drop. The rules are checked in that order, so a refusal never quotes a
 * password.
 */
export function parseServiceUrl(text: string): ServiceUrlResult {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, rule: "must be an absolute http(s) URL, such as http://127.0.0.1:8080" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, rule: `must be http or https (got ${url.protocol})` };
  }
  const credentials = urlCredentialsRule(url);
  if (credentials !== null) return { ok: false, rule: credentials };
  // Serialized, `?` and `#` appear only as delimiters: this also refuses an empty query (`/api?`).
  if (/[?#]/.test(url.href)) {
    return {
      ok: false,
      rule: "must not have a query or fragment (?… or #…): routes are appended to its path",
    };
  }
  return { ok: true, url };
}

/** `parseServiceUrl` as a schema: the URL's href, or one issue whose message is the rule. */
export const ServiceUrlSchema = z.string().transform((text, ctx) => {
  const parsed = parseServiceUrl(text);
  if (parsed.ok) return parsed.url.href;
  ctx.addIssue({ code: "custom", message: parsed.rule });
  return z.NEVER;
});

/**
 * The URL of `route` (`ROUTE_PATH`) on the service at `base`: the route appended to the base's
 * path less its trailing slashes, so `http://h/api` and `http://h/api/` both give
 * `http://h/api/health` for `/health`, and `http://h` gives `http://h/health`.
 */
export function serviceUrl(base: string | URL, route: string): URL {
  if (!ROUTE_PATH.test(route)) {
    throw new TypeError(
      `a route must start with one "/" and hold no spaces (got ${JSON.stringify(route)})`,
    );
  }
  const { origin, pathname } = new URL(base);
  return new URL(`${origin}${pathname.replace(/\/+$/, "")}${route}`);
}

/**
 * The URL a client on this machine reaches a server at that listens on `host` and `port`: a
 * wildcard address (`0.0.0.0`, `::`) by its loopback, an IPv6 address in brackets with its zone
 * id's `%` written `%25` (RFC 6874), a host name or IPv4 address as it is.
 */
export function localServerUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const authority = reachable.includes(":") ? `[${reachable.replace("%", "%25")}]` : reachable;
  return `http://${authority}:${port}`;
}
