/**
 * A release applied the way the pipeline applies it: `mlops release plan --decision … --apply`
 * on a copy of the shipped prod stack (Pulumi.yaml + Pulumi.prod.yaml), with the traffic split
 * chosen in its serving block, and `pulumi config set` served by the test double in `bin/`. The
 * result is the stack config a following `pulumi up` reads.
 */
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ofType, runProgram, stackFileConfig } from "@mlops/infra/test-support";
import { registered, validateObject } from "@mlops/k8s/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { type Exit, mlops, ROOT } from "../workflows/support.js";

const DOUBLE_BIN = fileURLToPath(new URL("./bin/", import.meta.url));
const DECISIONS = fileURLToPath(new URL("../workflows/fixtures/", import.meta.url));

/** A stack after a release: the CLI's exit and the config Pulumi would hand the program. */
export interface Released {
  readonly exit: Exit;
  readonly config: Record<string, string>;
}

/**
 * Copies the prod stack with `serving.trafficSplit: split`, applies the decision fixture
 * `decision-<kind>.json` to it through the CLI, and reads the stack file back.
 */
export async function releaseOnProdCopy(
  split: "gateway" | "nginx-canary",
  kind: "promote" | "rollback",
): Promise<Released> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-release-"));
  const stackFile = join(dir, "Pulumi.prod.yaml");
  await copyFile(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const doc = parseDocument(await readFile(join(ROOT, "Pulumi.prod.yaml"), "utf8"));
  doc.setIn(["config", "mlops-platform:serving", "trafficSplit"], split);
  await writeFile(stackFile, doc.toString());
  const exit = await mlops(
    [
      "release",
      "plan",
      "--decision",
      join(DECISIONS, `decision-${kind}.json`),
      "--stack-config",
      stackFile,
      "--apply",
    ],
    { PATH: `${DOUBLE_BIN}${delimiter}${process.env.PATH ?? ""}` },
  );
  return { exit, config: stackFileConfig(new URL(`file://${stackFile}`)) };
}

/**
 * The promote suite for one implementation: the decision applied through the CLI, the program
 * rendered from the released stack config, and `weightsMoved` checking the split's objects.
 */
export function describePromote(split: "gateway" | "nginx-canary", weightsMoved: () => void): void {
  let released: Released;
  beforeAll(async () => {
    released = await releaseOnProdCopy(split, "promote");
    await runProgram("prod", released.config);
  }, 120_000);

  describe(`promote through mlops release plan --apply, ${split} split`, () => {
    it("applies the plan with the Pulumi CLI", () => {
      expect(released.exit.code, released.exit.stderr).toBe(0);
      expect(JSON.parse(released.config["mlops-platform:serving"]!)).toMatchObject({
        canaryWeight: 0,
        championImageTag: "1.5.0-rc.1",
        championModel: "classifier@13",
      });
    });

    it("moves the rendered weights to 100/0", weightsMoved);

    it("runs the promoted build as the champion, and every object stays valid", () => {
      const champion = ofType("kubernetes:apps/v1:Deployment").find(
        (d) => d.inputs.metadata.name === "serving-champion",
      );
      expect(champion!.inputs.spec.template.spec.containers[0].image).toMatch(/:1\.5\.0-rc\.1$/);
      for (const r of registered.filter((r) => r.type.startsWith("kubernetes:"))) {
        expect(() => validateObject(r.type, r.inputs), r.name).not.toThrow();
      }
    });
  });
}
