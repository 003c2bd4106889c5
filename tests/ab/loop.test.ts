/**
 * The A/B loop end to end, as real processes on loopback in a temporary directory: `pnpm start`
 * serves champion and challenger in split mode on the embedded store; `mlops ab simulate` sends
 * labelled traffic with a known effect; `mlops ab analyze --apply` decides from the store and
 * moves the champion alias on promote. Without an effect the decision stays `continue`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DecisionSchema } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { mlops as runMlops, START, start } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";

const suite = scratchSuite("mlops-ab-");

/** Runs the `mlops` CLI in the platform's directory (so it finds the default store there). */
const mlops = (args: string[]) => runMlops(args, suite.dir);

/** Serves experiment `id` (50/50), sends `requests` with `effect`, stops (flushing the log). */
async function runExperiment(id: string, effect: number, seed: number) {
  const server = await start(START, suite.dir, {
    MLOPS_EXPERIMENT_ID: id,
    MLOPS_CHALLENGER_WEIGHT: "50",
    MLOPS_LOG_FLUSH_MS: "100",
  });
  suite.running.push(server);
  const sim = await mlops([
    "ab",
    "simulate",
    ...["--url", server.url, "--effect", String(effect), "--requests", "1500"],
    ...["--seed", String(seed), "--concurrency", "8", "--json"],
  ]);
  // A graceful stop flushes every logged prediction to the store before the analysis reads it.
  expect(await server.stop("SIGTERM")).toBe(0);
  expect(sim.stderr).toBe("");
  expect(sim.code).toBe(0);
  return JSON.parse(sim.stdout);
}

const championVersion = async (): Promise<number> => {
  const shown = await mlops(["models", "show", "classifier@champion", "--json"]);
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout).version;
};

describe("mlops ab: simulate → analyze → apply against the running API", () => {
  it("keeps the champion when the challenger is no better", async () => {
    const sent = await runExperiment("ab-null", 0, 11);
    expect(sent.completed).toBe(1500);
    expect(sent.failed).toBe(0);
    expect(sent.arms.champion.predictions + sent.arms.challenger.predictions).toBe(1500);

    const analyzed = await mlops(["ab", "analyze", "--experiment", "ab-null", "--json", "--apply"]);
    expect(analyzed.stderr).toBe("");
    expect(analyzed.code).toBe(0);
    const out = JSON.parse(analyzed.stdout);
    expect(out.decision).toBe("continue");
    expect(out.srm.mismatch).toBe(false);
    expect(out.primary.sequential.pValue).toBeGreaterThan(0.05);
    expect(out.applied.championMove).toBeNull();
    expect(out.applied.state).toBe("running");
    expect(await championVersion()).toBe(1);
  });

  it("promotes a challenger that is better by a known effect and moves the champion alias", async () => {
    const sent = await runExperiment("ab-effect", 0.1, 12);
    expect(sent.completed).toBe(1500);
    expect(sent.arms.challenger.meanOutcome - sent.arms.champion.meanOutcome).toBeGreaterThan(0.05);

    const report = join(suite.dir, "reports", "ab-effect.md");
    const decisionFile = join(suite.dir, "decision.json");
    const analyzed = await mlops([
      "ab",
      "analyze",
      ...["--experiment", "ab-effect", "--apply", "--json"],
      ...["--report", report, "--decision-out", decisionFile],
    ]);
    expect(analyzed.stderr).toBe("");
    expect(analyzed.code).toBe(0);
    const out = JSON.parse(analyzed.stdout);
    expect(out.decision).toBe("promote");
    expect(out.primary.sequential.ci[0]).toBeGreaterThan(0);
    expect(out.applied.championMove).toEqual({ model: "classifier", from: 1, to: 2 });
    expect(out.applied.state).toBe("concluded");
    expect(await championVersion()).toBe(2);

    // The decision file is the contracts record the release step reads, and it was recorded.
    const decision = DecisionSchema.parse(JSON.parse(await readFile(decisionFile, "utf8")));
    expect(decision).toEqual(out.decision_record);
    expect(decision.decision).toBe("promote");

    const markdown = await readFile(report, "utf8");
    expect(markdown).toContain("## Decision: promote");
    expect(markdown).toContain("](ab-effect.lift.svg)");
    const svg = await readFile(join(suite.dir, "reports", "ab-effect.lift.svg"), "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('id="band"');
  });
});
