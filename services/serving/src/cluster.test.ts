import { availableParallelism } from "node:os";
import { parseServingConfig } from "@mlops/contracts";
import { collectDefaultMetrics, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { mergeMetrics, workerCount } from "./cluster.js";

const config = (workers: string) =>
  parseServingConfig({ MLOPS_STORE: "sqlite::memory:", MLOPS_WORKERS: workers });

describe("workerCount", () => {
  it("gives auto one process per core where processes can share the port", () => {
    expect(workerCount(config("auto"), "linux")).toBe(availableParallelism());
    expect(workerCount(config("3"), "freebsd")).toBe(3);
  });

  it("serves auto with one process where the kernel does not balance a shared port", () => {
    expect(workerCount(config("auto"), "darwin")).toBe(1);
    expect(workerCount(config("auto"), "win32")).toBe(1);
    expect(workerCount(config("1"), "darwin")).toBe(1);
  });

  it("refuses an explicit count above one there, naming the variable and the way out", () => {
    expect(() => workerCount(config("2"), "darwin")).toThrow(
      /^MLOPS_WORKERS=2: .*darwin does not balance.*set MLOPS_WORKERS=1$/,
    );
  });
});

describe("mergeMetrics", () => {
  type Part = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;
  /** The value of unlabelled `name` in `part`. */
  const valueIn = (part: Part, name: string) =>
    part.find((metric) => metric.name === name)?.values[0]?.value;

  it("reports the machine's processes by what each default process metric means", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Two processes alike (forked workers inherit their primary's limits).
    const one = await registry.getMetricsAsJSON();
    const two = await registry.getMetricsAsJSON();
    const merged = await (await mergeMetrics([one, two])).getMetricsAsJSON();
    // Each process may open as many descriptors as its limit says: not twice as many together.
    expect(valueIn(one, "process_max_fds")).toBeGreaterThan(0);
    expect(valueIn(merged, "process_max_fds")).toBe(valueIn(one, "process_max_fds"));
    // What the processes hold adds up.
    const rss = "process_resident_memory_bytes";
    expect(valueIn(merged, rss)).toBe(valueIn(one, rss)! + valueIn(two, rss)!);
    // One version, and no start time: the machine has none.
    expect(merged.find((m) => m.name === "nodejs_version_info")?.values).toHaveLength(1);
    expect(merged.find((m) => m.name === "process_start_time_seconds")).toBeUndefined();
  });
});
