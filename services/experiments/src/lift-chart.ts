/**
 * The cumulative-lift chart as a self-contained SVG: the difference treatment − control after
 * each look (a line), its always-valid confidence band (a shaded polygon), the zero line, and
 * labelled axes with round ticks. Written by hand so a report needs no chart service or browser:
 * any Markdown viewer shows it, and it stays readable as text in a diff.
 */
import { ExperimentsInputError } from "./errors.js";
import type { LiftPoint } from "./lift-path.js";

/** Texts and size of the chart. */
export interface LiftChartOptions {
  readonly title: string;
  /** What the y axis measures, e.g. "challenger − champion accuracy". */
  readonly yLabel: string;
  /** Default "observations (both arms)". */
  readonly xLabel?: string;
  /** The band's name in the legend, e.g. "always-valid 95% band". */
  readonly bandLabel: string;
  /** Default 720 × 360. */
  readonly width?: number;
  readonly height?: number;
}

/** Tick labels never show more decimals than this. */
const MAX_DECIMALS = 12;

const MARGIN = { left: 78, right: 24, top: 44, bottom: 56 } as const;

/** Characters XML text and attribute values must not carry literally. */
function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/** Coordinates with two decimals: exact enough for a screen, short enough to read. */
const px = (v: number): string => v.toFixed(2);

/**
 * About `count` round tick values (steps of 1, 2 or 5 × 10ᵏ) covering [lo, hi], and the number of
 * decimals that shows them without noise.
 */
export function niceTicks(
  lo: number,
  hi: number,
  count = 5,
): { ticks: number[]; decimals: number } {
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  if (!(step > 0 && Number.isFinite(step))) return { ticks: [lo], decimals: MAX_DECIMALS };
  const decimals = Math.min(MAX_DECIMALS, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(Number((k * step).toFixed(decimals)));
  }
  return { ticks, decimals };
}

function requirePoints(points: readonly LiftPoint[]): void {
  if (points.length === 0) throw new ExperimentsInputError("EMPTY", "points", "must not be empty");
  for (const [i, p] of points.entries()) {
    for (const [field, v] of [
      ["observations", p.observations],
      ["diff", p.diff],
      ["ci[0]", p.ci[0]],
      ["ci[1]", p.ci[1]],
    ] as const) {
      if (!Number.isFinite(v)) {
        throw new ExperimentsInputError(
          "NON_FINITE",
          `points[${i}].${field}`,
          `must be a finite number, got ${v}`,
        );
      }
    }
    if (!(p.ci[0] <= p.diff && p.diff <= p.ci[1])) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        `points[${i}].ci`,
        `must contain diff ${p.diff}, got [${p.ci[0]}, ${p.ci[1]}]`,
      );
    }
  }
}

/** The chart of `points` (in look order) as an SVG document. */
export function liftChartSvg(points: readonly LiftPoint[], opts: LiftChartOptions): string {
  requirePoints(points);
  const width = opts.width ?? 720;
  const height = opts.height ?? 360;
  const xLabel = opts.xLabel ?? "observations (both arms)";
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  if (plot.right - plot.left < 50 || plot.bottom - plot.top < 50) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "opts.width, opts.height",
      `must leave a plot area of at least 50 × 50 inside the margins, got ${width} × ${height}`,
    );
  }

  // The y range always shows zero, so "no difference" is visible against the band.
  let yLo = Math.min(0, ...points.map((p) => p.ci[0]));
  let yHi = Math.max(0, ...points.map((p) => p.ci[1]));
  // A flat or vanishing range still gets a readable height (ticks at most MAX_DECIMALS deep).
  const span = Math.max(yHi - yLo, 10 ** -MAX_DECIMALS * Math.max(1, -yLo, yHi));
  yLo -= span * 0.05;
  yHi += span * 0.05;
  const xHi = Math.max(...points.map((p) => p.observations));
  const x = (v: number) => plot.left + (v / xHi) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - ((v - yLo) / (yHi - yLo)) * (plot.bottom - plot.top);

  const upper = points.map((p) => `${px(x(p.observations))},${px(y(p.ci[1]))}`);
  const lower = points.map((p) => `${px(x(p.observations))},${px(y(p.ci[0]))}`).reverse();
  const band = `M${[...upper, ...lower].join(" L")} Z`;
  const estimate = `M${points.map((p) => `${px(x(p.observations))},${px(y(p.diff))}`).join(" L")}`;
  const last = points.at(-1)!;

  const yTicks = niceTicks(yLo, yHi, 6);
  const xTicks = niceTicks(0, xHi);
  const lines: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="lift-title" font-family="sans-serif" font-size="12">`,
    `<title id="lift-title">${escapeXml(opts.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${px(width / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
  ];
  for (const t of yTicks.ticks) {
    const ty = px(y(t));
    lines.push(
      `<line class="grid" x1="${px(plot.left)}" y1="${ty}" x2="${px(plot.right)}" y2="${ty}" stroke="#e5e5e5"/>`,
      `<text x="${px(plot.left - 6)}" y="${ty}" text-anchor="end" dominant-baseline="middle">${t.toFixed(yTicks.decimals)}</text>`,
    );
  }
  for (const t of xTicks.ticks) {
    const tx = px(x(t));
    lines.push(
      `<line x1="${tx}" y1="${px(plot.bottom)}" x2="${tx}" y2="${px(plot.bottom + 5)}" stroke="#333333"/>`,
      `<text x="${tx}" y="${px(plot.bottom + 18)}" text-anchor="middle">${t.toFixed(xTicks.decimals)}</text>`,
    );
  }
  lines.push(
    `<path id="band" d="${band}" fill="#9ecae1" fill-opacity="0.6" stroke="none"/>`,
    `<line id="zero" x1="${px(plot.left)}" y1="${px(y(0))}" x2="${px(plot.right)}" y2="${px(y(0))}" stroke="#555555" stroke-dasharray="4 3"/>`,
    `<path id="estimate" d="${estimate}" fill="none" stroke="#08519c" stroke-width="2"/>`,
    `<circle cx="${px(x(last.observations))}" cy="${px(y(last.diff))}" r="3.5" fill="#08519c"/>`,
    `<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="#333333"/>`,
    `<text x="${px((plot.left + plot.right) / 2)}" y="${px(height - 14)}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${px((plot.top + plot.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${px((plot.top + plot.bottom) / 2)})">${escapeXml(opts.yLabel)}</text>`,
    `<rect x="${px(plot.left + 10)}" y="${px(plot.top + 8)}" width="14" height="10" fill="#9ecae1" fill-opacity="0.6"/>`,
    `<text x="${px(plot.left + 30)}" y="${px(plot.top + 17)}">${escapeXml(opts.bandLabel)}</text>`,
    `<line x1="${px(plot.left + 10)}" y1="${px(plot.top + 30)}" x2="${px(plot.left + 24)}" y2="${px(plot.top + 30)}" stroke="#08519c" stroke-width="2"/>`,
    `<text x="${px(plot.left + 30)}" y="${px(plot.top + 34)}">estimate (last: ${escapeXml(String(Number(last.diff.toPrecision(3))))})</text>`,
    "</svg>",
    "",
  );
  return lines.join("\n");
}
