import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServingReleaseSchema, StackConfigError } from "@mlops/contracts";
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

  /** Writes the prod stack with `edit` applied as `Pulumi.<name>.yaml`, beside a Pulumi.yaml. */
  const edited = async (name: string, edit: (prod: string) => string) => {
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const prod = await readFile(PROD_STACK_FILE, "utf8");
    const text = edit(prod);
    expect(text).not.toBe(prod);
    const file = join(dir, `Pulumi.${name}.yaml`);
    await writeFile(file, text);
    return file;
  };

  it("names the file, the key and the rule a value breaks", async () => {
    const file = await edited("weight", (prod) =>
      prod.replace(/canaryWeight: \d+/, "canaryWeight: 150"),
    );
    await expect(readStackTarget(file)).rejects.toThrow(
      `${file}: invalid stack config:\n  mlops-platform:serving.canaryWeight: Too big: expected number to be <=100`,
    );
  });

  // The messages infra/src/config.test.ts expects of the Pulumi program for the same settings.
  it("refuses what the Pulumi program refuses outside the serving block, with its message", async () => {
    const overlap = await edited("overlap", (prod) =>
      prod.replace("podCidr: 192.168.0.0/16", "podCidr: 172.16.0.0/12"),
    );
    await expect(readStackTarget(overlap)).rejects.toThrow(
      new StackConfigError(
        `${overlap}: invalid stack config:\n  mlops-platform:network.serviceCidr: must not overlap podCidr 172.16.0.0/12`,
      ),
    );
    const misspelt = await edited("misspelt", (prod) =>
      prod.replace("mlops-platform:network:", "mlops-platform:netwrok:"),
    );
    await expect(readStackTarget(misspelt)).rejects.toThrow(
      `${misspelt}: invalid stack config:\n  mlops-platform:netwrok: is not a setting of this program (misspelt, or left over?)`,
    );
  });

  // `pulumi config set --secret --path 'alertWebhooks[0].url' …` (Pulumi.prod.yaml's comment):
  // only the program, with the stack's key, reads the value.
  it("leaves an encrypted value to the program, and checks the rest", async () => {
    const url = "url: https://oncall.contoso.com/hooks/azure-monitor";
    const secret = await edited("secret", (prod) =>
      prod.replace(url, "url:\n        secure: v1:c2VjcmV0:dG9rZW4="),
    );
    expect((await readStackTarget(secret)).serving.canaryWeight).toBe(10);
    const broken = await edited("secret-broken", (prod) =>
      prod
        .replace(url, "url:\n        secure: v1:c2VjcmV0:dG9rZW4=")
        .replace("owner: ml-platform-team", 'owner: ""'),
    );
    await expect(readStackTarget(broken)).rejects.toThrow(
      new StackConfigError(
        `${broken}: invalid stack config:\n  mlops-platform:owner: must name the owning team or person`,
      ),
    );
  });

  it("says a serving value it needs is encrypted, naming the key", async () => {
    const file = await edited("secret-weight", (prod) =>
      prod.replace(/canaryWeight: \d+/, "canaryWeight:\n      secure: v1:c2VjcmV0:dG9rZW4="),
    );
    await expect(readStackTarget(file)).rejects.toThrow(
      new StackConfigError(
        `${file}: mlops release cannot read the stack config:\n  mlops-platform:serving.canaryWeight: is encrypted (secure:), and mlops release cannot read it without the stack's key; set it in plain text to use mlops release`,
      ),
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
