/** The models panel (served classifiers and their cards) and the GARCH chart. */
import type { GarchView, ModelsView } from "../../src/dashboard-api/schemas.js";
import type { Result } from "./api.js";
import { chart } from "./charts.js";
import { clock, esc, num } from "./format.js";

/** How the page names each algorithm. */
const ALGORITHM_NAMES: Readonly<Record<ModelsView["served"][number]["algorithm"], string>> = {
  forest: "random forest",
  gbdt: "gradient-boosted trees",
};

export function modelsPanel(root: Document): (view: ModelsView) => void {
  const el = root.getElementById("models")!;
  return (v) => {
    el.innerHTML = v.served
      .map((m) => {
        const metrics = Object.entries(m.metrics)
          .map(([k, x]) => `<div><dt>${esc(k)}</dt><dd>${num(x)}</dd></div>`)
          .join("");
        const card = m.card_url
          ? `<a href="${esc(m.card_url)}">Model card of ${esc(m.name)} v${m.version}</a>`
          : `<span class="note">No model card (registered without one)</span>`;
        return (
          `<article class="model model-${esc(m.variant)}" id="model-${esc(m.variant)}">` +
          `<h3>${esc(m.variant)}: ${esc(m.name)} <span class="version">v${m.version}</span> <span class="algorithm">${esc(ALGORITHM_NAMES[m.algorithm])}</span></h3>` +
          `<p class="note">registered ${esc(clock(m.created_at))} · aliases ${esc(m.aliases.join(", ") || "none")}</p>` +
          `<dl class="stats">${metrics}</dl><p>${card}</p></article>`
        );
      })
      .join("");
  };
}

/** The GARCH chart: fitted σ over the last observations, then the forecast σ and return band. */
export function garchPanel(root: Document): {
  readonly select: HTMLSelectElement;
  /** Lists the registered GARCH models; true when the list changed (a name or a version). */
  setModels(view: ModelsView): boolean;
  draw(result: Result<GarchView>): void;
} {
  const select = root.getElementById("garch-model") as HTMLSelectElement;
  const note = root.getElementById("garch-note")!;
  const el = root.getElementById("garch-chart")!;
  const update = chart(el, {
    time: false,
    xLabel: "observation",
    yLabel: "% (returns)",
    lines: [
      { label: "fitted σ", stroke: "#1d4ed8" },
      { label: "forecast σ", stroke: "#c2410c", dash: [6, 3] },
      { label: "band upper", stroke: "#fb923c", quiet: true },
      { label: "band lower", stroke: "#fb923c", quiet: true },
      { label: "forecast mean", stroke: "#374151", dash: [2, 3] },
    ],
    band: { upper: 2, lower: 3, fill: "rgba(234, 88, 12, 0.15)" },
  });
  let shownOptions = "";
  return {
    select,
    setModels(v) {
      const names = v.garch.map((g) => g.name);
      const options = v.garch
        .map((g) => {
          const shown = g.ready_version === null ? "no READY version" : `v${g.ready_version}`;
          return `<option value="${esc(g.name)}">${esc(g.name)} (${shown})</option>`;
        })
        .join("");
      // Rebuilt only when a name or a version changes, so an open list is not reset every poll.
      if (options === shownOptions) return false;
      shownOptions = options;
      const current = select.value || v.garch.find((g) => g.served)?.name || names[0] || "";
      select.innerHTML = options;
      select.value = current;
      if (names.length === 0) note.textContent = "No GARCH model is registered.";
      return true;
    },
    draw(result) {
      if (!result.ok) {
        note.textContent = `Cannot load the GARCH model: ${result.message}`;
        return;
      }
      const g = result.data;
      const n = g.fitted.volatility.length;
      const h = g.forecast.volatility.length;
      const x = Array.from({ length: n + h }, (_, i) => g.fitted.first_index + i + 1);
      const pad = (k: number) => Array<null>(k).fill(null);
      // The forecast line starts at the last fitted point so the two read as one path.
      const lastFitted = g.fitted.volatility[n - 1] ?? null;
      update([
        x,
        [...g.fitted.volatility, ...pad(h)],
        [...pad(n - 1), lastFitted, ...g.forecast.volatility],
        [...pad(n), ...g.forecast.upper],
        [...pad(n), ...g.forecast.lower],
        [...pad(n), ...g.forecast.mean],
      ]);
      el.dataset.points = String(n + h);
      el.setAttribute(
        "aria-label",
        `${g.model.name} v${g.model.version}: fitted volatility ${num(lastFitted)} at the end of the sample, ` +
          `forecast ${num(g.forecast.volatility.at(-1))} after ${h} steps`,
      );
      const params = Object.entries(g.params)
        .map(([k, v]) => `${k} = ${num(v)}`)
        .join(", ");
      note.textContent =
        `GARCH(${g.spec.p},${g.spec.q}), ${g.spec.dist} innovations, ${g.spec.mean} mean, ${g.nobs} observations` +
        `${g.converged ? "" : " (not converged)"}: ${params}. Band: ${num(100 * g.forecast.level)} % of the return around the forecast mean.`;
    },
  };
}
