import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localServerUrl, parseServiceUrl, ServiceUrlSchema, serviceUrl } from "./service-url.js";

const CREDENTIALS_RULE =
  "must not hold a user name or password (user:password@host): credentials go in a header";
const QUERY_RULE = "must not have a query or fragment (?… or #…): routes are appended to its path";

const ruleOf = (text: string) => {
  const parsed = parseServiceUrl(text);
  return parsed.ok ? null : parsed.rule;
};

describe("parseServiceUrl", () => {
  it("takes an http(s) base URL with or without a path prefix, normalized", () => {
    for (const [text, href] of [
      ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"],
      ["HTTPS://Example.test/api/", "https://example.test/api/"],
      ["http://[::1]:8080/api", "http://[::1]:8080/api"],
    ]) {
      const parsed = parseServiceUrl(text!);
      expect(parsed.ok && parsed.url.href, text).toBe(href);
    }
  });

  it("names the rule each bad URL breaks", () => {
    const cases: [string, string][] = [
      ["", "must be an absolute http(s) URL, such as http://127.0.0.1:8080"],
      ["/api", "must be an absolute http(s) URL, such as http://127.0.0.1:8080"],
      // No host: the URL parser refuses these.
      ["http://", "must be an absolute http(s) URL, such as http://127.0.0.1:8080"],
      ["http://:8080/", "must be an absolute http(s) URL, such as http://127.0.0.1:8080"],
      ["ftp://example.test/", "must be http or https (got ftp:)"],
      ["localhost:8080", "must be http or https (got localhost:)"],
      ["http://u:secret@127.0.0.1:9/", CREDENTIALS_RULE],
      ["http://token@127.0.0.1:9/", CREDENTIALS_RULE],
      ["http://127.0.0.1:9/api?v=1", QUERY_RULE],
      ["http://127.0.0.1:9/api?", QUERY_RULE],
      ["http://127.0.0.1:9/#top", QUERY_RULE],
    ];
    for (const [text, rule] of cases) expect(ruleOf(text), text).toBe(rule);
  });

  it("never quotes a password, whatever else is wrong", () => {
    for (const text of ["ftp://u:secret@h/", "http://u:secret@h/?q", "wss://u:secret@h"]) {
      expect(ruleOf(text)).not.toMatch(/secret/);
    }
  });

  it("is also a schema: the href, or one issue with the rule", () => {
    expect(ServiceUrlSchema.parse("http://127.0.0.1:8080/api")).toBe("http://127.0.0.1:8080/api");
    const refused = ServiceUrlSchema.safeParse("ftp://h/");
    expect(refused.error?.issues.map((i) => i.message)).toEqual([
      "must be http or https (got ftp:)",
    ]);
  });
});

describe("serviceUrl", () => {
  it("appends the route to the base's path, whichever way the base ends", () => {
    const cases: [string, string, string][] = [
      ["http://127.0.0.1:8080", "/health", "http://127.0.0.1:8080/health"],
      ["http://127.0.0.1:8080/", "/health", "http://127.0.0.1:8080/health"],
      ["http://127.0.0.1:8080/api", "/health", "http://127.0.0.1:8080/api/health"],
      ["http://127.0.0.1:8080/api/", "/health", "http://127.0.0.1:8080/api/health"],
      ["http://127.0.0.1:8080/api//", "/health", "http://127.0.0.1:8080/api/health"],
      ["https://gw.test/a/b/", "/predict?x=1", "https://gw.test/a/b/predict?x=1"],
      ["http://127.0.0.1:8080/api/", "/", "http://127.0.0.1:8080/api/"],
    ];
    for (const [base, route, href] of cases) {
      expect(serviceUrl(base, route).href, `${base} + ${route}`).toBe(href);
      expect(serviceUrl(new URL(base), route).href).toBe(href);
    }
  });

  it("refuses a route without exactly one leading slash", () => {
    for (const route of ["health", "//elsewhere.test/x", "/a b", ""]) {
      expect(() => serviceUrl("http://127.0.0.1:8080/api/", route)).toThrow(
        `a route must start with one "/" and hold no spaces (got ${JSON.stringify(route)})`,
      );
    }
  });

  it("keeps the origin and the whole prefix, and never doubles a slash", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/).filter((s) => !/^\.+$/.test(s));
    const segments = fc.array(segment, { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.constantFrom("http://127.0.0.1:8080", "https://gw.test"),
        segments,
        fc.boolean(),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        (origin, prefix, trailingSlash, route) => {
          const path = prefix.map((s) => `/${s}`).join("");
          const base = `${origin}${path}${trailingSlash ? "/" : ""}`;
          const joined = serviceUrl(base, `/${route.join("/")}`);
          expect(joined.origin).toBe(origin);
          expect(joined.pathname).toBe(`${path}/${route.join("/")}`);
          expect(joined.pathname).not.toMatch(/\/\//);
          expect(serviceUrl(`${origin}${path}/`, "/x").href).toBe(
            serviceUrl(`${origin}${path}`, "/x").href,
          );
        },
      ),
    );
  });
});

describe("localServerUrl", () => {
  it.each([
    ["0.0.0.0", "http://127.0.0.1:8080"],
    ["::", "http://[::1]:8080"],
    ["127.1", "http://127.1:8080"],
    ["localhost", "http://localhost:8080"],
    ["::1", "http://[::1]:8080"],
    ["fe80::1%eth0", "http://[fe80::1%25eth0]:8080"],
  ])("reaches a server on %j at %s", (host, url) => {
    expect(localServerUrl(host, 8080)).toBe(url);
    // WHATWG URLs take no zone id (curl takes RFC 6874's form); every other one parses.
    if (!host.includes("%")) expect(new URL(url).port).toBe("8080");
  });
});
