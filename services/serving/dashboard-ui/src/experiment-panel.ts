/** The A/B panel: split and SRM, the primary metric per arm, the cumulative lift, the decision. */
import type { ExperimentView } from "../../src/dashboard-api/schemas.js";
import { chart } from "./charts.js";
import { clock, esc, int, interval, num, pct } from "./format.js";

const DECISION_TEXT = {
  promote: "Promote the challenger",
  continue: "Continue: not enough evidence yet",
  rollback: "Roll back the challenger",
  invalid: "Invalid: the data cannot be trusted",
} as const;

export function experimentPanel(root: Document): (view: ExperimentView) => void {
  const liftEl = root.getElementById("lift-chart")!;
  const lift = chart(liftEl, {
    time: false,
    xLabel: "observations (both arms)",
    yLabel: "difference",
    lines: [
      { label: "lift", stroke: "#1d4ed8" },
      { label: "band upper", stroke: "#60a5fa", quiet: true },
      { label: "band lower", stroke: "#60a5fa", quiet: true },
      { label: "no difference", stroke: "#6b7280", dash: [4, 4] },
    ],
    band: { upper: 1, lower: 2, fill: "rgba(37, 99, 235, 0.15)" },
  });
  const decision = root.getElementById("decision")!;
  const split = root.getElementById("split")!;
  const srm = root.getElementById("srm")!;
  const arms = root.getElementById("arms")!;

  return (v) => {
    root.getElementById("ab-id")!.textContent = `(${v.experiment_id})`;
    const a = v.analysis;
    if (a === null) {
      decision.innerHTML = `<p class="kind">${esc(v.message ?? "no analysis")}</p>`;
      split.innerHTML = arms.innerHTML = srm.textContent = "";
      lift([[], [], [], [], []]);
      return;
    }
    const text = DECISION_TEXT[a.decision.kind];
    const html =
      `<p class="kind kind-${a.decision.kind}"><span id="decision-kind">${esc(a.decision.kind)}</span> · ${esc(text)}</p>` +
      `<ul id="reasons">${a.decision.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` +
      (a.recorded
        ? `<p class="note">Last recorded decision: ${esc(a.recorded.kind)} at ${esc(clock(a.recorded.decided_at))}</p>`
        : "");
    // Only a changed decision is re-announced by the live region.
    if (decision.dataset.html !== html) {
      decision.innerHTML = html;
      decision.dataset.html = html;
    }
    const total = a.arms.reduce((s, x) => s + x.predictions, 0);
    split.innerHTML =
      '<caption class="sr-only">Observed traffic split against the configured weights</caption>' +
      '<thead><tr><th scope="col">variant</th><th scope="col">weight</th><th scope="col">predictions</th><th scope="col">observed share</th></tr></thead><tbody>' +
      a.arms
        .map(
          (x) =>
            `<tr><th scope="row">${esc(x.variant)}</th><td>${x.weight} %</td><td id="split-${esc(x.variant)}">${int(x.predictions)}</td><td>${pct(total ? x.predictions / total : null)}</td></tr>`,
        )
        .join("") +
      "</tbody>";
    srm.innerHTML =
      a.srm === null
        ? "Sample-ratio check: not computed yet."
        : `Sample-ratio check: χ² = ${num(a.srm.chi2)}, p = ${num(a.srm.p_value)} → ` +
          (a.srm.mismatch
            ? `<strong class="bad">mismatch</strong> (p &lt; ${a.srm.threshold})`
            : `<strong class="good">no mismatch</strong> (threshold ${a.srm.threshold})`);
    const level = `${num(100 * (1 - a.alpha))} % CI`;
    arms.innerHTML =
      `<thead><tr><th scope="col">variant</th><th scope="col">n</th><th scope="col">${esc(a.primary_metric)} (${a.better} is better)</th><th scope="col">${level}</th></tr></thead><tbody>` +
      a.arms
        .map(
          (x) =>
            `<tr><th scope="row">${esc(x.variant)}</th><td id="n-${esc(x.variant)}">${int(x.n)}</td><td id="mean-${esc(x.variant)}">${num(x.mean)}</td><td>${interval(x.ci)}</td></tr>`,
        )
        .join("") +
      "</tbody>";
    lift([
      a.lift.map((p) => p.observations),
      a.lift.map((p) => p.diff),
      a.lift.map((p) => p.ci[1]),
      a.lift.map((p) => p.ci[0]),
      a.lift.map(() => 0),
    ]);
    liftEl.dataset.points = String(a.lift.length);
    const last = a.lift.at(-1);
    liftEl.setAttribute(
      "aria-label",
      last
        ? `Cumulative lift after ${int(last.observations)} observations: ${num(last.diff)}, always-valid band ${interval(last.ci)}`
        : "Cumulative lift: not enough observations in both arms yet",
    );
  };
}
