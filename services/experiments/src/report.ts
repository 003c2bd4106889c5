/**
 * The A/B report in Markdown: the experiment and its arms, how the data was assigned (which
 * configurations produced it, their shares and units, the period the verdict reads), the
 * sample-ratio check, the primary
 * metric per arm with intervals and the comparison behind the decision, the guardrails, the
 * decision with its reasons, and a link to the cumulative-lift chart (an SVG beside the report).
 * Pure: the caller reads the analysis and the lift path, and writes the files.
 */
import { assignmentKey } from "@mlops/contracts";
import type { Analysis } from "./analyze.js";
import type { ArmModel } from "./arm-models.js";
import { splitsUsers } from "./assignment-report.js";
import { PRIMARY_METRIC_DIRECTION } from "./decide.js";
import { normalQuantile } from "./distributions.js";
import { formatNumber } from "./format.js";
import { liftChartSvg } from "./lift-chart.js";
import type { LiftPoint } from "./lift-path.js";
import { summarize } from "./moments.js";
import { metricMoments } from "./variant-metrics.js";

/** Options of `renderReport`. */
export interface ReportOptions {
  /** The chart's file name relative to the report (null: no chart, e.g. too little data). */
  readonly chartFile: string | null;
  /** Shown in the header. Default now. */
  readonly generatedAt?: Date;
  /**
   * What each arm serves now (`armModels`): its version and algorithm in the arms table. Arms
   * without an entry show a dash.
   */
  readonly armModels?: Readonly<Record<string, ArmModel | null>>;
}

/** `formatNumber`, or a dash for a number that is missing or not finite. */
const fmt = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : formatNumber(x);
const fmtCi = (ci: readonly [number, number] | null): string =>
  ci === null ? "–" : `[${fmt(ci[0])}, ${fmt(ci[1])}]`;
const pct = (x: number): string => `${fmt(100 * x)}%`;
/** A cell: pipes would end the cell early. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** The y-axis label of the lift chart and the comparison's name: "challenger − champion accuracy". */
function comparisonLabel(analysis: Analysis): string {
  const { arms } = analysis.result;
  return `${arms.treatment} − ${arms.control} ${analysis.experiment.primary_metric}`;
}

/** The cumulative-lift chart of `analysis` (SVG), with its labels. */
export function renderLiftChart(analysis: Analysis, points: readonly LiftPoint[]): string {
  return liftChartSvg(points, {
    title: `Cumulative lift: ${analysis.experiment.id}`,
    yLabel: comparisonLabel(analysis),
    bandLabel: `always-valid ${fmt(100 * (1 - analysis.experiment.alpha))}% band${
      analysis.result.primary?.independent === "user" ? ", users as units" : ""
    }`,
  });
}

function armsSection(
  analysis: Analysis,
  models: Readonly<Record<string, ArmModel | null>> = {},
): string {
  const byName = new Map(analysis.metrics.map((m) => [m.variant, m]));
  const rows = analysis.experiment.variants.map((v) => {
    const m = byName.get(v.name);
    const served = models[v.name];
    return [
      v.name,
      `${v.weight}%`,
      v.model,
      served ? `v${served.version}` : "–",
      served?.algorithm ?? "–",
      m ? String(m.latency.n) : "–",
      m ? String(Math.round(m.errorRate.mean * m.errorRate.n)) : "–",
      m ? String(m.accuracy.n) : "–",
    ];
  });
  return table(
    ["arm", "weight", "model", "version", "algorithm", "predictions", "failed", "with outcome"],
    rows,
  );
}

const iso = (t: number): string => new Date(t).toISOString();

function assignmentSection(analysis: Analysis): string {
  const { configurations, current, notes } = analysis.assignment;
  if (current === null) return "No predictions yet.";
  const perArm = (counts: Readonly<Record<string, number>>): string =>
    Object.entries(counts)
      .map(([arm, n]) => `${arm} ${n}`)
      .join(", ");
  const rows = configurations.map((c) => [
    assignmentKey(c),
    c.unit,
    perArm(c.predictions),
    splitsUsers(c) ? perArm(c.units) : "–",
    pct(c.share),
    `${iso(c.first_timestamp)} – ${iso(c.last_timestamp)}`,
    c.srm === null ? "–" : `${fmt(c.srm.p_value)}${c.srm.mismatch ? " (mismatch)" : ""}`,
  ]);
  const configured = table(
    [
      "configuration",
      "unit",
      "predictions",
      "users",
      "share",
      "first – last",
      "SRM p (own weight)",
    ],
    rows,
  );
  const overlap =
    current.users_in_several_arms === null
      ? ""
      : `; ${current.users_in_several_arms} users seen on more than one arm`;
  const usersNote = configurations.some(splitsUsers)
    ? [
        "",
        "Users: distinct user ids, each request without one counted as a user of its own (it is hashed by its request id); a user-hash configuration's split is checked on them.",
      ]
    : [];
  return [
    configured,
    ...usersNote,
    "",
    `The verdict reads the current period: **${assignmentKey(current)}** since ${iso(current.from)} (unit: ${current.unit}${overlap}).`,
    "",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
}

function srmSection(analysis: Analysis): string {
  const { srm } = analysis.result;
  if (srm === null) {
    return `Not computed: ${analysis.result.reasons[0] ?? "no traffic"}.`;
  }
  const weighted = analysis.experiment.variants.filter((v) => v.weight > 0);
  const verdict = srm.mismatch
    ? "**Mismatch**: the split does not follow the weights; no comparison can be trusted."
    : "OK: the split follows the weights.";
  // Observed counts in full; expected ones to four digits.
  const list = (xs: readonly number[], show: (x: number | undefined) => string) =>
    weighted.map((v, i) => `${v.name} ${show(xs[i])}`).join(", ");
  const counted =
    srm.unit === "user"
      ? "Counted: users, the unit a user-hash split randomises (each request without a user id counts as one)"
      : "Counted: predictions";
  return `${verdict} χ² = ${fmt(srm.chi2)}, df = ${srm.df}, p = ${fmt(srm.pValue)}. ${counted}. Observed ${srm.unit}s: ${list(srm.counts, String)}; expected: ${list(srm.expected, fmt)}.`;
}

function primarySection(analysis: Analysis): string {
  const { experiment, result } = analysis;
  const metric = experiment.primary_metric;
  const confidence = 1 - experiment.alpha;
  const z = -normalQuantile(experiment.alpha / 2);
  const rows = analysis.metrics.map((m) => {
    const moments = metricMoments(m, metric);
    const s = summarize(moments);
    // Fewer than 2 observations, or a spread the store's sums lost (LOST_VARIANCE).
    if (Number.isNaN(s.variance)) {
      return [m.variant, String(moments.n), fmt(moments.mean), "–", "–"];
    }
    const half = z * Math.sqrt(s.variance / s.n);
    const ci: [number, number] =
      metric === "accuracy"
        ? [Math.max(0, s.mean - half), Math.min(1, s.mean + half)]
        : [s.mean - half, s.mean + half];
    return [m.variant, String(s.n), fmt(s.mean), fmt(Math.sqrt(s.variance)), fmtCi(ci)];
  });
  const perArm = table(
    ["arm", "n", "mean", "sd", `${fmt(100 * confidence)}% CI (per arm, fixed-horizon)`],
    rows,
  );
  const better = PRIMARY_METRIC_DIRECTION[metric];
  const head = `${perArm}\n\n${better === "higher" ? "Higher" : "Lower"} is better.`;
  const p = result.primary;
  if (p === null) return `${head} No comparison yet: ${result.reasons[0] ?? "no data"}.`;
  const comparison = table(
    [comparisonLabel(analysis), "value"],
    [
      ["difference", fmt(p.sequential.diff)],
      [`always-valid ${fmt(100 * confidence)}% CI`, fmtCi(p.sequential.ci)],
      ["always-valid p-value (running minimum over looks)", fmt(p.sequential.pValue)],
      ["previous looks' p-value", fmt(analysis.previousPValue)],
      ["mixing variance τ²", fmt(p.sequential.tau2)],
      [
        "variance of the difference",
        p.independent === "user"
          ? "cluster-robust by user (a user's observations are correlated; the per-arm intervals above treat them as independent)"
          : "per observation",
      ],
      [
        `Welch t-test, fixed-horizon (reference only): p, ${fmt(100 * confidence)}% CI`,
        `${fmt(p.welch.pValue)}, ${fmtCi(p.welch.ci)}`,
      ],
      [
        `relative lift, fixed-horizon ${fmt(100 * confidence)}% CI`,
        p.lift === null
          ? "– (control mean is 0)"
          : `${pct(p.lift.lift)} [${pct(p.lift.ci[0])}, ${pct(p.lift.ci[1])}]`,
      ],
      ["smallest difference detectable now", fmt(p.mde)],
    ],
  );
  return `${head}\n\n${comparison}`;
}

function guardrailSection(analysis: Analysis): string {
  const { experiment, result } = analysis;
  if (experiment.guardrails.length === 0) return "None defined.";
  const { control, treatment } = result.arms;
  const checked = new Map(result.guardrails.map((g) => [g.metric, g]));
  const rows = experiment.guardrails.map((def) => {
    const g = checked.get(def.metric);
    if (g === undefined) {
      return [def.metric, "–", "–", "–", "–", `+${pct(def.max_relative_increase)}`, "not checked"];
    }
    return [
      g.metric,
      fmt(g.controlMean),
      fmt(g.treatmentMean),
      fmt(g.treatmentMean - g.controlMean),
      g.ci === null ? "exact" : fmtCi(g.ci),
      `+${fmt(g.limit)} (${pct(g.maxRelativeIncrease)})`,
      g.status,
    ];
  });
  return table(
    ["metric", control, treatment, "difference", "always-valid CI", "allowed increase", "status"],
    rows,
  );
}

function chartSection(analysis: Analysis, chartFile: string | null): string {
  if (chartFile === null) {
    // Without a comparison there is nothing to chart; with one, the caller chose not to write it.
    return analysis.result.primary === null
      ? `No chart: ${analysis.result.reasons[0] ?? "no comparison yet"}.`
      : "No chart was written with this report.";
  }
  const band = `always-valid ${fmt(100 * (1 - analysis.experiment.alpha))}% confidence band`;
  return [
    `![Cumulative lift of ${analysis.result.arms.treatment} over ${analysis.result.arms.control} with its ${band}](${encodeURI(chartFile)})`,
    "",
    `The line is ${comparisonLabel(analysis)} after each look, replaying the outcomes in time order; ` +
      `the shaded ${band} stays valid however often the experiment is looked at. ` +
      "A band that leaves zero is what makes the difference significant.",
  ].join("\n");
}

/** The report of `analysis` as Markdown. */
export function renderReport(analysis: Analysis, opts: ReportOptions): string {
  const { experiment, result } = analysis;
  const generatedAt = opts.generatedAt ?? new Date();
  const facts = table(
    ["", ""],
    [
      ["decision", `**${result.decision}**`],
      ["compared", `${result.arms.treatment} against ${result.arms.control}`],
      [
        "primary metric",
        `${experiment.primary_metric} (${PRIMARY_METRIC_DIRECTION[experiment.primary_metric]} is better)`,
      ],
      ["alpha", String(experiment.alpha)],
      ["state", experiment.state],
      ["generated", generatedAt.toISOString()],
    ],
  );
  return [
    `# A/B report: ${experiment.id}`,
    ...(experiment.description ? ["", `> ${experiment.description.replace(/\n/g, " ")}`] : []),
    "",
    facts,
    "",
    `## Decision: ${result.decision}`,
    "",
    ...result.reasons.map((r, i) => `${i + 1}. ${r}`),
    "",
    "## Arms",
    "",
    armsSection(analysis, opts.armModels),
    "",
    "## Assignment",
    "",
    assignmentSection(analysis),
    "",
    "## Sample ratio",
    "",
    srmSection(analysis),
    "",
    `## Primary metric: ${experiment.primary_metric}`,
    "",
    primarySection(analysis),
    "",
    "## Guardrails",
    "",
    guardrailSection(analysis),
    "",
    "## Cumulative lift",
    "",
    chartSection(analysis, opts.chartFile),
    "",
  ].join("\n");
}
