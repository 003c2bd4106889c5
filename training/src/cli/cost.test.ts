import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../test-support/cli.js";

/** The shipped prod stack file. */
const PROD = fileURLToPath(new URL("../../../Pulumi.prod.yaml", import.meta.url));
/** The estimate reads the stack file only: the in-memory path only satisfies the runner. */
const run = (argv: string[]) => runCli(":memory:", argv);

describe("mlops cost", () => {
  it("prints the prod stack's monthly estimate as one JSON object whose rows add up", async () => {
    const out = await run(["cost", "--stack-config", PROD, "--json"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const estimate = JSON.parse(out.stdout);
    expect(estimate).toMatchObject({ stack: "prod", region: "westeurope", currency: "USD" });
    const sum = (key: "min" | "max") =>
      estimate.rows.reduce(
        (t: number, r: Record<string, number>) => t + Math.round(r[key]! * 100),
        0,
      );
    expect(sum("min")).toBe(Math.round(estimate.total.min * 100));
    expect(sum("max")).toBe(Math.round(estimate.total.max * 100));
    for (const row of estimate.rows) {
      expect(row.price_key).toMatch(/^[a-z]+\./);
      expect(row.source.length).toBeGreaterThan(10);
    }
  });

  it("prices the assumed usage it is given, and names a bad flag", async () => {
    const low = JSON.parse((await run(["cost", "--stack-config", PROD, "--json"])).stdout);
    const high = JSON.parse(
      (await run(["cost", "--stack-config", PROD, "--log-gb-per-day", "20", "--json"])).stdout,
    );
    const ingest = (e: { rows: { component: string; min: number }[] }) =>
      e.rows.find((r) => r.component === "Log Analytics ingestion")!.min;
    expect(ingest(high)).toBeCloseTo(ingest(low) * 10, 1);

    // A negative amount, and what Number() would have read as 16 and as 0.
    for (const value of ["-1", "0x10", ""]) {
      const bad = await run(["cost", "--stack-config", PROD, "--storage-gb", value]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        /--storage-gb: must be a number in decimal digits, such as 20 or 0\.5/,
      );
    }
    const huge = await run(["cost", "--stack-config", PROD, "--storage-gb", "10000001"]);
    expect(huge.stderr).toMatch(/--storage-gb: Too big/);
    const neither = await run(["cost"]);
    expect(neither.stderr).toMatch(/give exactly one of --stack <name>/);
    const missing = await run(["cost", "--stack", "nosuchstack"]);
    expect(missing.stderr).toMatch(
      /cannot read the Pulumi project file|cannot read the stack config/,
    );
  });

  describe("a stack the Pulumi program would refuse", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "mlops-cost-"));
      await copyFile(join(dirname(PROD), "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    // The Pulumi program's own messages (infra/src/config.test.ts) for the same settings.
    it.each([
      {
        what: "pod and service ranges that overlap",
        edit: ["podCidr: 192.168.0.0/16", "podCidr: 172.16.0.0/12"],
        line: "mlops-platform:network.serviceCidr: must not overlap podCidr 172.16.0.0/12",
      },
      {
        what: "a misspelt key",
        edit: ["mlops-platform:network:", "mlops-platform:netwrok:"],
        line: "mlops-platform:netwrok: is not a setting of this program (misspelt, or left over?)",
      },
    ])("is refused for $what, naming the key and the rule", async ({ edit: [from, to], line }) => {
      const file = join(dir, "Pulumi.bad.yaml");
      await writeFile(file, (await readFile(PROD, "utf8")).replace(from!, to!));
      const out = await run(["cost", "--stack-config", file, "--json"]);
      expect(out.code).toBe(1);
      expect(out.stdout).toBe("");
      expect(out.stderr).toContain(`${file}: invalid stack config:\n  ${line}\n`);
    });
  });

  describe("a stack the Pulumi program accepts", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "mlops-cost-"));
      await copyFile(join(dirname(PROD), "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    // What the whole-stack check passes is priced as the program reads it: a quoted number is the
    // number, and a VM size in another case is the size Azure reads.
    it("prices values as the program reads them", async () => {
      const file = join(dir, "Pulumi.read.yaml");
      const prod = await readFile(PROD, "utf8");
      const edited = prod
        .replace("mlops-platform:logRetentionDays: 90", 'mlops-platform:logRetentionDays: "90"')
        .replace("vmSize: Standard_D8ds_v5", "vmSize: standard_d8ds_v5");
      expect(edited).not.toContain("Standard_D8ds_v5");
      await writeFile(file, edited);
      const out = await run(["cost", "--stack-config", file, "--json"]);
      expect(out.stderr).toBe("");
      const prodOut = await run(["cost", "--stack-config", PROD, "--json"]);
      expect(JSON.parse(out.stdout).total).toEqual(JSON.parse(prodOut.stdout).total);
    });

    it("names an encrypted value it needs", async () => {
      const file = join(dir, "Pulumi.secret.yaml");
      await writeFile(
        file,
        (await readFile(PROD, "utf8")).replace(
          "mlops-platform:logRetentionDays: 90",
          "mlops-platform:logRetentionDays:\n    secure: v1:c2VjcmV0:dG9rZW4=",
        ),
      );
      const out = await run(["cost", "--stack-config", file, "--json"]);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(
        "mlops-platform:logRetentionDays: is encrypted (secure:), and mlops cost cannot read it",
      );
      expect(out.stderr).not.toContain("received object");
    });
  });
});
