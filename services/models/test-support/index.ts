/**
 * Test support of `@mlops/models` (subpath `@mlops/models/test-support`, never shipped): the
 * demo models as training registers them, committed as artifacts (a random-forest champion, a
 * boosted-trees challenger, a GARCH fit), and the held-out rows they were scored on, so that
 * packages which serve models can test on real trained ones without depending on the trainer. See
 * `fixtures/README.md` for how they were made; training's `jobs/demo.test.ts` fails when they no
 * longer match what training produces.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ArtifactRef, ModelManifest } from "@mlops/contracts";
import { artifactRef, type LoadedArtifact, readArtifactDir } from "../src/index.js";

/** The artifacts `mlops demo --trees 2` wrote: `<run_id>/model/` each. */
export const DEMO_FIXTURE_DIR = fileURLToPath(new URL("./fixtures/demo/", import.meta.url));

/** The data the demo classifiers were trained on (its `split` column says train or test). */
export const DEMO_DATA_FILE = fileURLToPath(
  new URL("../../../training/data/demo-classification.csv", import.meta.url),
);

/** The demo data's held-out rows, in file order: what training scored each demo classifier on. */
export async function readDemoHeldOut(): Promise<{ x: number[][]; y: string[] }> {
  const [header, ...lines] = (await readFile(DEMO_DATA_FILE, "utf8")).trim().split("\n");
  const columns = header!.split(",");
  const label = columns.indexOf("label");
  const split = columns.indexOf("split");
  const x: number[][] = [];
  const y: string[] = [];
  for (const line of lines) {
    const cells = line.split(",");
    if (cells[split] !== "test") continue;
    x.push(cells.filter((_, j) => j !== label && j !== split).map(Number));
    y.push(cells[label]!);
  }
  return { x, y };
}

/** The versions `mlops demo` registers, in its order, with the alias each gets. */
export const DEMO_FIXTURE = [
  { name: "classifier", version: 1, alias: "champion" },
  { name: "classifier", version: 2, alias: "challenger" },
  { name: "dem2gbp", version: 1, alias: "champion" },
] as const;

/** One committed demo version: its verified artifact and the reference a registry would keep. */
export interface FixtureModel extends LoadedArtifact {
  readonly alias: string;
  readonly manifest: ModelManifest;
  readonly ref: ArtifactRef;
}

/** The demo versions in {@link DEMO_FIXTURE}'s order, each read and checked by `readArtifactDir`. */
export async function readDemoFixture(): Promise<FixtureModel[]> {
  const runs = await readdir(DEMO_FIXTURE_DIR);
  const found = await Promise.all(
    runs.map(async (run) => {
      const dir = join(DEMO_FIXTURE_DIR, run, "model");
      const artifact = await readArtifactDir(dir);
      return { ...artifact, ref: artifactRef(dir, artifact.model) };
    }),
  );
  if (found.length !== DEMO_FIXTURE.length) {
    throw new Error(`${DEMO_FIXTURE_DIR} holds ${found.length} artifacts, not the demo's 3`);
  }
  return DEMO_FIXTURE.map(({ name, version, alias }) => {
    const model = found.find((f) => f.manifest.name === name && f.manifest.version === version);
    if (!model) throw new Error(`${DEMO_FIXTURE_DIR} holds no artifact of ${name} v${version}`);
    return { ...model, alias };
  });
}
