import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;

/**
 * A start-up in a child process with the image's 8 MiB semi-spaces (V8 flags are the process's
 * own): parse a few MiB of JSON, keep what a model keeps, then release. Reports V8's young
 * generation (`new_space`) before and after, and whether a `gc` function was left anywhere.
 */
const CHILD = `
import { getHeapSpaceStatistics } from "node:v8";
import { runInNewContext } from "node:vm";
import { releaseStartupHeap } from ${JSON.stringify(new URL("./heap.ts", import.meta.url).href)};
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
const text = JSON.stringify(Array.from({ length: 200000 }, (_, i) => ({ i, left: { t: i / 3 }, right: [i, i + 1] })));
const model = JSON.parse(text);
const grown = young();
const pauseMs = releaseStartupHeap();
process.stdout.write(JSON.stringify({
  grown, released: young(), pauseMs, kept: model.length,
  globalGc: typeof globalThis.gc, contextGc: runInNewContext("typeof gc"),
}));
`;

describe("releaseStartupHeap", () => {
  it("shrinks the young generation that start-up grew, keeps what is live, leaves no gc", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--max-semi-space-size=8", "--import", "tsx", "--input-type=module", "-e", CHILD],
      { cwd: import.meta.dirname },
    );
    const report = JSON.parse(stdout);
    // Grown by the parse towards its ceiling of two 8 MiB semi-spaces (how far depends on when
    // the scavenges fell); back to V8's initial size (1 MiB) after the release.
    expect(report.grown).toBeGreaterThanOrEqual(8 * MiB);
    expect(report.released).toBeLessThanOrEqual(2 * MiB);
    expect(report.pauseMs).toBeGreaterThan(0);
    expect(report.kept).toBe(200000);
    expect(report).toMatchObject({ globalGc: "undefined", contextGc: "undefined" });
    // A child process with tsx: seconds on a loaded machine.
  }, 60_000);
});
