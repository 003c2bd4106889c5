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
import { stackFileConfig } from "@mlops/infra/test-support";
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
