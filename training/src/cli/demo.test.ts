import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";

const cli = useCliFixture("mlops-demo-cli-", 10);

describe("mlops demo", () => {
  it("checks its flags before training anything", async () => {
    const cases: [string[], string][] = [
      [
        ["--experiment", "Bad Id"],
        `error: option '--experiment <id>' argument 'Bad Id' is invalid. --experiment must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got "Bad Id")\n`,
      ],
      [
        ["--challenger-weight", "101"],
        `error: option '--challenger-weight <pct>' argument '101' is invalid. --challenger-weight must be an integer in [0, 100] (got "101")\n`,
      ],
    ];
    for (const [args, message] of cases) {
      const artifacts = join(cli.root, "artifacts");
      const r = await cli.run([
        "demo",
        "--trees",
        "2",
        "--artifacts",
        artifacts,
        ...args,
        "--json",
      ]);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, "", message]);
    }
    await cli.withStore(async (store) => {
      expect(await store.models.summaries()).toEqual([]);
      expect(await store.runs.list()).toEqual([]);
    });
  });
});
