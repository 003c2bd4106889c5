/**
 * Time-series charts on uPlot: one small wrapper that sizes a chart to its container (and keeps
 * it sized), so every panel only says which series to draw.
 */
import uPlot from "uplot";

export interface Line {
  readonly label: string;
  readonly stroke: string;
  readonly dash?: number[];
  readonly scale?: string;
  /** Hidden from the legend and the cursor (a band's edges). */
  readonly quiet?: boolean;
}

export interface ChartOptions {
  readonly lines: readonly Line[];
  /** x is epoch seconds (shown as clock time) or a plain number. */
  readonly time: boolean;
  /** For time charts: seconds shown, ending at the newest point (a fixed window reads better). */
  readonly windowS?: number;
  readonly xLabel?: string;
  readonly yLabel: string;
  /** A second y axis on the right for lines with `scale: "y2"`. */
  readonly y2Label?: string;
  /** Fill between two lines, given by their index in `lines`. */
  readonly band?: { readonly upper: number; readonly lower: number; readonly fill: string };
}

const HEIGHT = 220;
/** Room after the newest point, so it is drawn inside the plot rather than on its edge. */
const EDGE_S = 3;
const AXIS = { stroke: "#1f2937", grid: { stroke: "#e5e7eb" }, ticks: { stroke: "#9ca3af" } };

/** A chart in `el`; `update` redraws it with new columns (x first, then one per line). */
export function chart(el: HTMLElement, opts: ChartOptions): (data: uPlot.AlignedData) => void {
  const axes: uPlot.Axis[] = [
    { ...AXIS, ...(opts.xLabel ? { label: opts.xLabel } : {}) },
    { ...AXIS, label: opts.yLabel, size: 60 },
  ];
  if (opts.y2Label)
    axes.push({
      ...AXIS,
      label: opts.y2Label,
      scale: "y2",
      side: 1,
      grid: { show: false },
      size: 60,
    });
  const plot = new uPlot(
    {
      width: Math.max(280, el.clientWidth),
      height: HEIGHT,
      scales: {
        x: {
          time: opts.time,
          ...(opts.windowS
            ? { range: (_u, _min, max): uPlot.Range.MinMax => [max - opts.windowS!, max + EDGE_S] }
            : {}),
        },
      },
      axes,
      series: [
        {},
        ...opts.lines.map((l) => ({
          label: l.label,
          stroke: l.stroke,
          width: 2,
          spanGaps: false,
          ...(l.dash ? { dash: l.dash } : {}),
          ...(l.scale ? { scale: l.scale } : {}),
          ...(l.quiet ? { width: 1, points: { show: false } } : {}),
        })),
      ],
      ...(opts.band
        ? { bands: [{ series: [opts.band.upper + 1, opts.band.lower + 1], fill: opts.band.fill }] }
        : {}),
      legend: { live: false },
    },
    [[], ...opts.lines.map(() => [])],
    el,
  );
  new ResizeObserver(() =>
    plot.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }),
  ).observe(el);
  return (data) => plot.setData(data);
}
