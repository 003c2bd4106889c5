import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROD_STACK_FILE, ROOT } from "../../test-support/fixtures.js";
import { estimateCost } from "./estimate.js";
import { readCostInputs } from "./stack-inputs.js";

const SECRET = "\n        secure: v1:c2VjcmV0:dG9rZW4=";

describe("the cost estimate's reading of a stack file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-cost-inputs-"));
    await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Writes the prod stack with `from` replaced by `to` as `Pulumi.<name>.yaml`. */
  const edited = async (name: string, from: string | RegExp, to: string) => {
    const prod = await readFile(PROD_STACK_FILE, "utf8");
    const text = prod.replace(from, to);
    expect(text).not.toBe(prod);
    const file = join(dir, `Pulumi.${name}.yaml`);
    await writeFile(file, text);
    return file;
  };

  // Pulumi hands "90" to the program as the text 90, which `getNumber` reads as the number: the
  // whole-stack check passes it, so the estimate must read it the same way.
  it("reads a quoted number as the program does", async () => {
    const file = await edited(
      "quoted",
      "mlops-platform:logRetentionDays: 90",
      'mlops-platform:logRetentionDays: "90"',
    );
    const inputs = await readCostInputs(file);
    expect(inputs.logRetentionDays).toBe(90);
    const prod = await readCostInputs(PROD_STACK_FILE);
    expect(estimateCost(inputs).total).toEqual(estimateCost(prod).total);
  });

  it("says a value it needs is encrypted, naming the key", async () => {
    const retention = await edited(
      "secret-retention",
      "mlops-platform:logRetentionDays: 90",
      `mlops-platform:logRetentionDays:${SECRET.replace(/ {8}/, "    ")}`,
    );
    await expect(readCostInputs(retention)).rejects.toThrow(
      `${retention}: mlops cost cannot read the stack config:\n  mlops-platform:logRetentionDays: is encrypted (secure:), and mlops cost cannot read it without the stack's key; set it in plain text to use mlops cost`,
    );
    const vmSize = await edited("secret-vm", "vmSize: Standard_D8ds_v5", `vmSize:${SECRET}`);
    await expect(readCostInputs(vmSize)).rejects.toThrow(
      /\n {2}mlops-platform:aks\.userPool\.vmSize: is encrypted \(secure:\), and mlops cost cannot read it/,
    );
    await expect(readCostInputs(vmSize)).rejects.not.toThrow(/received object/);
  });

  it("leaves alone an encrypted value it does not need", async () => {
    const file = await edited(
      "secret-webhook",
      "url: https://oncall.contoso.com/hooks/azure-monitor",
      `url:${SECRET}`,
    );
    expect((await readCostInputs(file)).logRetentionDays).toBe(90);
  });

  // Azure reads VM size names without regard to case, and the stack schema accepts them so.
  it("prices a VM size written in another case under the table's spelling", async () => {
    const file = await edited("lower", "vmSize: Standard_D8ds_v5", "vmSize: standard_d8ds_v5");
    const estimate = estimateCost(await readCostInputs(file));
    const prod = estimateCost(await readCostInputs(PROD_STACK_FILE));
    expect(estimate.total).toEqual(prod.total);
    expect(estimate.rows.map((r) => r.price_key)).toEqual(prod.rows.map((r) => r.price_key));
  });
});
