/** How `mlops runs list|show` order runs and print them for people (`--json` prints them as read). */
import type { MetricPoint, TrackedRun } from "@mlops/contracts";

/** `a` before `b` by UTF-16 code units, the order MLflow's and the store's run ids sort in. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `runs` newest first, as MLflow's UI and `search_runs` order them: start time descending, then
 * run id ascending.
 */
export function newestFirst(runs: readonly TrackedRun[]): TrackedRun[] {
  return runs.toSorted((a, b) => b.start_time - a.start_time || byCodeUnits(a.run_id, b.run_id));
}

/**
 * One line per run: id, experiment, status, start time and its latest accuracy, if any. With no
 * runs, a line saying so, of `experiment` when the listing is of one.
 */
export function runListText(runs: readonly TrackedRun[], experiment?: string): string {
  if (runs.length === 0) {
    return experiment === undefined
      ? "no runs are tracked yet\n"
      : `experiment ${shown(experiment)} has no runs yet\n`;
  }
  return runs
    .map((r) => {
      const accuracy = r.metrics.accuracy?.at(-1)?.value;
      const shown = accuracy === undefined ? "" : `accuracy ${accuracy.toFixed(4)}`;
      return `${r.run_id}\t${r.experiment_name}\t${r.status}\t${iso(r.start_time)}\t${shown}\n`;
    })
    .join("");
}

type Row = readonly [key: string, value: string];

/**
 * One run as aligned `key  value` lines: what it is and when it ran, then its params, metrics
 * (each one's latest value), tags and artifacts, each section's rows indented under its name
 * (`-` for an empty one). Params, metrics and tags are sorted by key, as MLflow's UI shows them.
 */
export function runText(r: TrackedRun): string {
  const ended = r.end_time;
  const head: Row[] = [
    ["run", r.run_id],
    ["name", r.run_name === "" ? "-" : shown(r.run_name)],
    ["experiment", r.experiment_name],
    ["parent", r.parent_run_id ?? "-"],
    ["status", r.status],
    ["start", iso(r.start_time)],
    ["end", ended === null ? "-" : iso(ended)],
    ["duration", ended === null ? "-" : duration(ended - r.start_time)],
  ];
  const sections: [string, Row[]][] = [
    ["params", byKey(Object.entries(r.params).map(([k, v]) => [k, shown(String(v))]))],
    ["metrics", byKey(Object.entries(r.metrics).map(([k, h]) => [k, latest(h)]))],
    ["tags", byKey(Object.entries(r.tags).map(([k, v]) => [k, shown(v)]))],
    ["artifacts", r.artifacts.map((a) => [a.path, a.uri])],
  ];
  const width = Math.max(...[...head, ...sections].map(([k]) => k.length));
  const lines = aligned(head, width);
  for (const [name, rows] of sections) {
    if (rows.length === 0) lines.push(...aligned([[name, "-"]], width));
    else lines.push(name, ...aligned(rows, Math.max(...rows.map(([k]) => k.length)), "  "));
  }
  return `${lines.join("\n")}\n`;
}

function aligned(rows: readonly Row[], width: number, indent = ""): string[] {
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`);
}

function byKey(rows: Row[]): Row[] {
  return rows.sort(([a], [b]) => byCodeUnits(a, b));
}

/** A metric's latest value, with its step and how many points it has when it has more than one. */
function latest(history: readonly MetricPoint[]): string {
  const last = history.at(-1);
  if (last === undefined) return "-";
  return history.length === 1
    ? String(last.value)
    : `${last.value} (step ${last.step}, ${history.length} points)`;
}

/** `value` as is, unless it is empty or holds control characters (a newline would split the line). */
function shown(value: string): string {
  return value === "" || /\p{Cc}/u.test(value) ? JSON.stringify(value) : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `ms` for people: `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  // Truncated, not rounded: 59 999 ms is not yet a minute.
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
