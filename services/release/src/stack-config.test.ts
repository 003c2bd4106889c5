import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServingReleaseSchema } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROD_STACK_FILE, ROOT } from "../test-support/fixtures.js";
import { readStackTarget, stackNameOf } from "./stack-config.js";

describe("the stack config file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-stack-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the real Pulumi.prod.yaml: every release field of the contracts schema", async () => {
    const target = await readStackTarget(PROD_STACK_FILE);
    expect(target).toMatchObject({
      project: "mlops-platform",
      stack: "prod",
      file: PROD_STACK_FILE,
    });
    expect(Object.keys(target.serving).sort()).toEqual(
      Object.keys(ServingReleaseSchema.shape).sort(),
    );
  });

  it("names the file, the key and the rule a value breaks", async () => {
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const prod = await readFile(PROD_STACK_FILE, "utf8");
    const broken = prod.replace(/canaryWeight: \d+/, "canaryWeight: 150");
    expect(broken).not.toBe(prod);
    await writeFile(join(dir, "Pulumi.prod.yaml"), broken);
    await expect(readStackTarget(join(dir, "Pulumi.prod.yaml"))).rejects.toThrow(
      /Pulumi\.prod\.yaml mlops-platform:serving is invalid: canaryWeight: .*<=100/,
    );
  });

  // Pulumi merges YAML merge keys in stack files before the program reads them
  // (pulumi/pulumi#6480, "Support yaml anchors in config": `<<: *default` reaches requireObject).
  it("reads merge keys as Pulumi does", async () => {
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const prod = await readFile(PROD_STACK_FILE, "utf8");
    const tags = "    championImageTag: 1.4.2\n    challengerImageTag: 1.5.0-rc.1\n";
    expect(prod).toContain(tags);
    const merged = prod.replace(
      tags,
      "    <<: &tags\n      championImageTag: 1.4.2\n      challengerImageTag: 1.5.0-rc.1\n",
    );
    await writeFile(join(dir, "Pulumi.merged.yaml"), merged);
    const target = await readStackTarget(join(dir, "Pulumi.merged.yaml"));
    expect(target.serving).toMatchObject({
      championImageTag: "1.4.2",
      challengerImageTag: "1.5.0-rc.1",
    });
  });

  it("names the file and the line of YAML it cannot parse", async () => {
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    await writeFile(join(dir, "Pulumi.typo.yaml"), "config:\n  mlops-platform:aks: [1, 2\n");
    await expect(readStackTarget(join(dir, "Pulumi.typo.yaml"))).rejects.toThrow(
      /^the stack config .*Pulumi\.typo\.yaml is not valid YAML: .* at line 3, column 1:/,
    );
  });

  it("needs the project file beside the stack file", async () => {
    await expect(readStackTarget(join(dir, "missing", "Pulumi.dev.yaml"))).rejects.toThrow(
      /cannot read the Pulumi project file .*Pulumi\.yaml: no such file or directory$/,
    );
  });

  it("takes the stack name from the file name", () => {
    expect(stackNameOf("/x/Pulumi.prod.yaml")).toBe("prod");
    expect(stackNameOf("Pulumi.eu.staging.yml")).toBe("eu.staging");
    expect(() => stackNameOf("prod.yaml")).toThrow(/Pulumi.<stack>.yaml/);
  });
});
