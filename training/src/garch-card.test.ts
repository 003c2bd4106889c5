import { ModelManifestSchema } from "@mlops/contracts";
import { checkSpec, residualDiagnostics, selectOrder, simulate } from "@mlops/garch";
import { describe, expect, it } from "vitest";
import { renderGarchCard } from "./garch-card.js";

describe("renderGarchCard", () => {
  const sim = simulate(
    checkSpec({ p: 1, q: 1, mean: "constant", dist: "t" }),
    { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9], nu: 6 },
    1200,
    { seed: 11 },
  );
  const selection = selectOrder(sim.returns, { maxP: 1, maxQ: 2, dists: ["t"] });
  const fit = selection.best;
  const manifest = ModelManifestSchema.parse({
    format_version: 1,
    name: "vol",
    version: 3,
    kind: "garch",
    feature_schema: { kind: "garch", series: "r" },
    metrics: { log_likelihood: fit.logLikelihood, aic: fit.aic, bic: fit.bic },
    params: { p: fit.spec.p, q: fit.spec.q },
    seed: 0,
    data_hash: "a".repeat(64),
    git_sha: null,
    run_id: "run1",
    created: "2026-01-02T03:04:05.000Z",
    model_file: "model.json",
    model_sha256: "b".repeat(64),
  });
  const card = renderGarchCard({
    manifest,
    fit,
    candidates: selection.candidates,
    criterion: "bic",
    dataSource: "returns.csv",
  });
  const row = (first: string) => card.split("\n").find((l) => l.startsWith(`| ${first} |`));

  it("lists every parameter with its estimate, robust standard error and p-value", () => {
    expect(fit.paramNames).toEqual(["mu", "omega", "alpha[1]", "beta[1]", "nu"]);
    const se = fit.stdErrors.robust;
    const pv = fit.pValues.robust;
    expect(row("alpha[1]")).toBe(
      `| alpha[1] | ${fit.params.alpha[0]!.toPrecision(5)} | ${se.alpha[0]!.toPrecision(5)} | ${pv.alpha[0]!.toPrecision(5)} |`,
    );
    expect(row("nu")).toBe(
      `| nu | ${fit.params.nu!.toPrecision(5)} | ${se.nu!.toPrecision(5)} | ${pv.nu!.toPrecision(5)} |`,
    );
    expect(row("AIC")).toBe(`| AIC | ${fit.aic.toFixed(4)} |`);
    expect(row("BIC")).toBe(`| BIC | ${fit.bic.toFixed(4)} |`);
  });

  it("reports Ljung–Box tests of z and z² at lags 10 and 20, and every candidate", () => {
    const d = residualDiagnostics(fit.standardizedResiduals, [10, 20]);
    const z = card.split("\n").filter((l) => l.startsWith("| standardised residuals z |"));
    expect(z[1]).toContain(
      `| 20 | ${d.residuals[1]!.statistic.toFixed(3)} | ${d.residuals[1]!.pValue.toFixed(4)} |`,
    );
    const z2 = card.split("\n").filter((l) => l.startsWith("| squared residuals z² |"));
    expect(z2[0]).toContain(`| 10 | ${d.squaredResiduals[0]!.statistic.toFixed(3)} |`);
    expect(selection.candidates).toHaveLength(2);
    expect(card).toContain("| 1 | 2 | t |");
    expect(card).toMatch(/^# Model card: vol v3\n/);
    expect(card).toContain("GARCH(1,1) volatility model with t innovations");
    for (const section of ["## Lineage", "## Intended use", "## Limits", "- Run: `run1`"]) {
      expect(card).toContain(section);
    }
  });
});
