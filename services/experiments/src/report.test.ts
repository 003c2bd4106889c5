import type { ExperimentInput } from "@mlops/contracts";
import { openSqliteStore, registerVersion, type Store } from "@mlops/store";
import { XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { seedTraffic } from "../test-support/seed-traffic.js";
import { analyzeExperiment } from "./analyze.js";
import { armModels } from "./arm-models.js";
import { readLiftPath } from "./lift-history.js";
import { renderLiftChart, renderReport } from "./report.js";

let store: Store;
afterEach(async () => {
  await store.close();
});

const definition = (id: string, over: Partial<ExperimentInput> = {}): ExperimentInput => ({
  id,
  description: "iris v2 | against v1",
  variants: [
    { name: "champion", weight: 50, model: "iris@1" },
    { name: "challenger", weight: 50, model: "iris@2" },
  ],
  primary_metric: "accuracy",
  guardrails: [
    { metric: "error_rate", max_relative_increase: 1 },
    { metric: "latency_mean_ms", max_relative_increase: 0.5 },
  ],
  alpha: 0.05,
  state: "running",
  ...over,
});

const generatedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

/** The analysis of experiment `id` in a fresh store, after `perArm` seeded predictions per arm. */
async function seededAnalysis(id: string, perArm: number, effect: number, seed: number) {
  store = openSqliteStore(":memory:");
  await store.experiments.create(definition(id));
  await seedTraffic(store, id, perArm, effect, seed);
  return analyzeExperiment(store, id);
}

describe("renderReport and readLiftPath on the embedded SQLite store", () => {
  it("reports every number behind a promotion and links a chart whose last look is the decision's interval", async () => {
    const analysis = await seededAnalysis("effect", 3000, 0.06, 1);
    expect(analysis.result.decision).toBe("promote");

    const path = (await readLiftPath(store, analysis, { points: 30 }))!;
    expect(path).toHaveLength(30);
    const last = path.at(-1)!;
    const decided = analysis.result.primary!.sequential;
    expect(last.observations).toBe(6000);
    expect(last.diff).toBeCloseTo(decided.diff, 12);
    expect(last.ci[0]).toBeCloseTo(decided.ci[0], 10);
    expect(last.ci[1]).toBeCloseTo(decided.ci[1], 10);

    const svg = renderLiftChart(analysis, path);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain("challenger − champion accuracy");
    expect(svg).toContain("always-valid 95% band");

    const md = renderReport(analysis, { chartFile: "effect report.lift.svg", generatedAt });
    const sections = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      "Decision: promote",
      "Arms",
      "Assignment",
      "Sample ratio",
      "Primary metric: accuracy",
      "Guardrails",
      "Cumulative lift",
    ]);
    expect(md).toMatch(/^# A\/B report: effect$/m);
    expect(md).toContain("> iris v2 | against v1");
    expect(md).toContain("| generated | 2026-01-02T03:04:05.000Z |");
    // Without the arms' models the version and algorithm are dashes.
    expect(md).toContain("| champion | 50% | iris@1 | – | – | 3000 | 0 | 3000 |");
    // Seeded without an assignment: one configuration, unknown, checked against the definition.
    expect(md).toMatch(
      /\| unknown \| unknown \| champion 3000, challenger 3000 \| – \| 100% \| .* \| 1 \|/,
    );
    expect(md).toContain(
      "The verdict reads the current period: **unknown** since 2023-11-14T22:13:20.000Z",
    );
    expect(md).toMatch(/OK: the split follows the weights\. χ² = 0, df = 1, p = 1\./);
    expect(md).toContain(`1. ${analysis.result.reasons[0]}`);
    const ci = (x: number) => String(Number(x.toPrecision(4)));
    expect(md).toContain(`| always-valid 95% CI | [${ci(decided.ci[0])}, ${ci(decided.ci[1])}] |`);
    expect(md).toContain(
      `| always-valid p-value (running minimum over looks) | ${ci(decided.pValue)} |`,
    );
    expect(md).toMatch(/\| error_rate \| 0 \| 0 \| 0 \| exact \| \+0 \(100%\) \| ok \|/);
    expect(md).toMatch(
      /\| latency_mean_ms \| [\d.]+ \| [\d.]+ \| -?[\d.e-]+ \| \[.*\] \| \+[\d.]+ \(50%\) \| ok \|/,
    );
    // The link is URI-encoded, so a file name with a space still resolves.
    expect(md).toContain("](effect%20report.lift.svg)");
    expect(renderReport(analysis, { chartFile: null, generatedAt })).toContain(
      "No chart was written with this report.",
    );
  });

  it("names the version and algorithm each arm serves, as the registry resolves them", async () => {
    store = openSqliteStore(":memory:");
    const model = (algorithm: string) => ({
      name: "iris",
      kind: "classifier" as const,
      run_id: null,
      data_hash: null,
      git_sha: null,
      params: { algorithm },
      metrics: {},
      artifact: { uri: `/srv/${algorithm}/model.json`, sha256: "0".repeat(64) },
    });
    await registerVersion(store.models, model("forest"));
    await registerVersion(store.models, model("gbdt"));
    await store.models.setAlias("iris", "challenger", 2);
    await store.experiments.create(
      definition("mixed", {
        variants: [
          { name: "champion", weight: 50, model: "iris@1" },
          { name: "challenger", weight: 50, model: "iris@challenger" },
        ],
      }),
    );
    await seedTraffic(store, "mixed", 200, 0, 3);
    const analysis = await analyzeExperiment(store, "mixed");
    const served = await armModels(store, analysis.experiment);
    expect(served).toEqual({
      champion: { name: "iris", version: 1, algorithm: "forest" },
      challenger: { name: "iris", version: 2, algorithm: "gbdt" },
    });
    const md = renderReport(analysis, { chartFile: null, generatedAt, armModels: served });
    expect(md).toContain(
      "| arm | weight | model | version | algorithm | predictions | failed | with outcome |",
    );
    expect(md).toContain("| champion | 50% | iris@1 | v1 | forest | 200 |");
    expect(md).toContain("| challenger | 50% | iris@challenger | v2 | gbdt | 200 |");
    // A reference that resolves to nothing gets no model rather than failing the report.
    const retired = { variants: [{ name: "old", weight: 100, model: "iris@retired" }] };
    expect(await armModels(store, retired)).toEqual({ old: null });
  });

  it("counts users in the split of a user-hash period, and shows them beside the predictions", async () => {
    store = openSqliteStore(":memory:");
    await store.experiments.create(definition("by-user"));
    // 40 users alternate between the arms' requests: 20 users on each arm, 10 requests each.
    await seedTraffic(store, "by-user", 200, 0, 8, {
      assignment: { assignment: "user-hash", challenger_weight: 50 },
      users: 40,
    });
    const md = renderReport(await analyzeExperiment(store, "by-user"), {
      chartFile: null,
      generatedAt,
    });
    expect(md).toMatch(
      /\| user-hash@50 \| user \| champion 200, challenger 200 \| champion 20, challenger 20 \| 100% \|/,
    );
    expect(md).toContain("Counted: users, the unit a user-hash split randomises");
    expect(md).toContain(
      "Observed users: champion 20, challenger 20; expected: champion 20, challenger 20.",
    );
  });

  it("says why there is no comparison and no chart while an arm lacks data", async () => {
    const analysis = await seededAnalysis("early", 40, 0, 2);
    expect(analysis.result.decision).toBe("continue");
    expect(await readLiftPath(store, analysis)).toBeNull();
    const md = renderReport(analysis, { chartFile: null, generatedAt });
    expect(md).toContain(
      "No comparison yet: not enough data: accuracy has 40 observations in champion and 40 in challenger, 100 needed per arm.",
    );
    expect(md).toContain("No chart: not enough data");
    expect(md).toContain("| latency_mean_ms | – | – | – | – | +50% | not checked |");
    expect(md).not.toContain("![");
  });
});
