/** The traffic panel: rates per variant, latency percentiles, errors and the prediction log. */
import type { TrafficView } from "../../src/dashboard-api/schemas.js";
import { chart } from "./charts.js";
import { esc, int, num, pct } from "./format.js";

/** The server keeps five minutes of samples. */
const WINDOW_S = 300;

export const COLORS = { champion: "#1d4ed8", challenger: "#c2410c" } as const;

export function trafficPanel(root: Document): (view: TrafficView) => void {
  const rateEl = root.getElementById("rate-chart")!;
  const rate = chart(rateEl, {
    time: true,
    windowS: WINDOW_S,
    yLabel: "requests/s",
    lines: [
      { label: "champion", stroke: COLORS.champion },
      { label: "challenger", stroke: COLORS.challenger },
    ],
  });
  const latency = chart(root.getElementById("latency-chart")!, {
    time: true,
    windowS: WINDOW_S,
    yLabel: "ms",
    lines: [
      { label: "p50", stroke: "#15803d" },
      { label: "p95", stroke: "#b45309" },
      { label: "p99", stroke: "#b91c1c", dash: [6, 3] },
    ],
  });
  const errors = chart(root.getElementById("errors-chart")!, {
    time: true,
    windowS: WINDOW_S,
    yLabel: "error rate",
    y2Label: "queued records",
    lines: [
      { label: "error rate", stroke: "#b91c1c" },
      { label: "queue depth", stroke: "#6d28d9", scale: "y2", dash: [4, 3] },
    ],
  });
  const stats = root.getElementById("traffic-stats")!;

  return (v) => {
    rate([v.t, v.rate.champion, v.rate.challenger]);
    latency([v.t, v.latency_ms.p50, v.latency_ms.p95, v.latency_ms.p99]);
    errors([v.t, v.error_rate, v.queue_depth]);
    // What the rate chart holds, for people using a screen reader (and for the browser test).
    const inWindow = (xs: readonly number[]) => xs.reduce((s, x) => s + x * v.interval_s, 0);
    const shown = inWindow(v.rate.champion) + inWindow(v.rate.challenger);
    rateEl.dataset.requests = String(Math.round(shown));
    rateEl.setAttribute(
      "aria-label",
      `Predictions per second: about ${int(shown)} requests in the last ${int(v.t.length * v.interval_s)} s`,
    );
    const lastP99 = v.latency_ms.p99.findLast((x) => x !== null) ?? null;
    const total = (variant: "champion" | "challenger") =>
      v.totals[variant].ok + v.totals[variant].error;
    const errorsTotal = v.totals.champion.error + v.totals.challenger.error;
    const all = total("champion") + total("challenger");
    const items: [string, string, string][] = [
      ["total-champion", "Champion predictions", int(total("champion"))],
      ["total-challenger", "Challenger predictions", int(total("challenger"))],
      [
        "total-errors",
        "Failed predictions",
        `${int(errorsTotal)} (${pct(all ? errorsTotal / all : null, 2)})`,
      ],
      ["latest-p99", "Latest p99", lastP99 === null ? "–" : `${num(lastP99)} ms`],
      ["log-depth", "Log queue depth", int(v.log.depth)],
      ["log-dropped", "Log records dropped", int(v.log.dropped)],
      ["log-written", "Log records written", int(v.log.written)],
    ];
    stats.innerHTML = items
      .map(
        ([id, label, value]) =>
          `<div><dt>${esc(label)}</dt><dd id="${id}">${esc(value)}</dd></div>`,
      )
      .join("");
  };
}
