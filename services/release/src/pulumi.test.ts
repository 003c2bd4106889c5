import { describe, expect, it } from "vitest";
import { PROD_STACK_FILE } from "../test-support/fixtures.js";
import { configSetArgs, findOnPath } from "./pulumi.js";
import { readStackTarget } from "./stack-config.js";

describe("the Pulumi CLI driver", () => {
  it("builds one typed `pulumi config set` per change, ending flags before the value", async () => {
    const target = await readStackTarget(PROD_STACK_FILE);
    expect(configSetArgs(target, { field: "canaryWeight", from: 10, to: 0 })).toEqual([
      "config",
      "set",
      "--stack",
      "prod",
      "--config-file",
      PROD_STACK_FILE,
      "--path",
      "--type",
      "int",
      "serving.canaryWeight",
      "--",
      "0",
    ]);
    expect(
      configSetArgs(target, { field: "challengerImageTag", from: "a", to: "20261123" }).slice(7),
    ).toEqual(["--type", "string", "serving.challengerImageTag", "--", "20261123"]);
  });

  it("finds executables on PATH only", async () => {
    expect(await findOnPath("node", { PATH: `/nonexistent:${process.env.PATH}` })).toMatch(/node$/);
    expect(await findOnPath("node", { PATH: "/nonexistent" })).toBeUndefined();
  });
});
