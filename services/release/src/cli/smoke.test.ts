import { describe, expect, it } from "vitest";
import { runCommands } from "../../test-support/program.js";

describe("mlops smoke --url", () => {
  it("names the flag and the rule a bad base URL breaks, before sending anything", async () => {
    const cases: [string, string][] = [
      ["localhost:8080", "--url must be http or https (got localhost:)"],
      ["not a url", "--url must be an absolute http(s) URL, such as http://127.0.0.1:8080"],
      ["ftp://127.0.0.1/", "--url must be http or https (got ftp:)"],
      [
        "http://127.0.0.1:9/api?v=1",
        "--url must not have a query or fragment (?… or #…): routes are appended to its path",
      ],
    ];
    for (const [url, message] of cases) {
      const out = await runCommands(["smoke", "--url", url, "--json"]);
      expect(out.error?.message, url).toBe(message);
      expect(out.stdout).toBe("");
    }
  });

  it("refuses credentials in the URL without printing them", async () => {
    const out = await runCommands(["smoke", "--url", "http://u:secret@127.0.0.1:9/"]);
    expect(out.error?.message).toBe(
      "--url must not hold a user name or password (user:password@host): credentials go in a header",
    );
  });
});
