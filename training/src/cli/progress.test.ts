import { describe, expect, it } from "vitest";
import type { CliIo } from "./context.js";
import { commandProgress, PROGRESS_LINE_MS } from "./progress.js";

/** An io whose stderr is no terminal, and the lines written to it. */
function logIo(isTTY = false): { io: CliIo; written: string[] } {
  const written: string[] = [];
  return {
    io: { stdout: () => {}, stderr: (t) => written.push(t), env: {}, isTTY },
    written,
  };
}

const format = { bar: "{bar}", line: (done: number, total: number) => `step ${done}/${total}` };

describe("commandProgress", () => {
  it("writes a plain line at most every PROGRESS_LINE_MS where stderr is no terminal", () => {
    let clock = 0;
    const { io, written } = logIo();
    const progress = commandProgress(io, false, format, () => clock);
    for (let done = 1; done <= 12; done++) {
      clock += PROGRESS_LINE_MS / 2;
      progress.update(done, 12);
    }
    progress.stop();
    expect(written).toEqual([2, 4, 6, 8, 10, 12].map((done) => `step ${done}/12\n`));
  });

  it("stays silent on a quick run, and with --json", () => {
    let clock = 0;
    const quick = logIo();
    const progress = commandProgress(quick.io, false, format, () => clock);
    clock = PROGRESS_LINE_MS - 1;
    progress.update(1, 1);
    expect(quick.written).toEqual([]);
    const json = logIo();
    const silent = commandProgress(json.io, true, format, () => (clock += PROGRESS_LINE_MS));
    silent.update(1, 2);
    silent.update(2, 2);
    expect(json.written).toEqual([]);
  });

  it("leaves a terminal to the redrawn bar, writing no lines", () => {
    const tty = logIo(true);
    let clock = 0;
    const progress = commandProgress(tty.io, false, format, () => (clock += PROGRESS_LINE_MS));
    progress.update(1, 2);
    progress.stop();
    expect(tty.written).toEqual([]);
  });
});
