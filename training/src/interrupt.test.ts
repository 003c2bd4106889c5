import { describe, expect, it } from "vitest";
import { Interrupted } from "./errors.js";
import { ECHO_MS, interruptible } from "./interrupt.js";

/** Past the window in which further signals count as echoes of the first. */
const pastEchoes = () => new Promise((resolve) => setTimeout(resolve, ECHO_MS + 50));

describe("interruptible", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "aborts the job's signal on %s with Interrupted (exit code %i)",
    async (name, code) => {
      const before = process.listenerCount(name);
      let seen: unknown;
      const job = interruptible(
        (signal) =>
          new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => {
              seen = signal.reason;
              resolve();
            });
            process.emit(name, name);
          }),
      );
      await expect(job).rejects.toBe(seen);
      expect(seen).toBeInstanceOf(Interrupted);
      expect((seen as Interrupted).signal).toBe(name);
      expect((seen as Interrupted).exitCode).toBe(code);
      // Past the echoes its handlers are gone: a second signal gets the process's default, and
      // so does the next command's.
      await pastEchoes();
      expect(process.listenerCount(name)).toBe(before);
    },
  );

  it("takes the first signal only, and leaves nothing behind when the job ends", async () => {
    const before = ["SIGINT", "SIGTERM"].map((s) => process.listenerCount(s));
    let aborts = 0;
    let reason: unknown;
    const job = interruptible(async (signal) => {
      expect(process.listenerCount("SIGINT")).toBe(before[0]! + 1);
      signal.addEventListener("abort", () => aborts++);
      process.emit("SIGTERM", "SIGTERM");
      // Handled by whoever else listens, not by this command's handler.
      process.emit("SIGINT", "SIGINT");
      reason = signal.reason;
    });
    await expect(job).rejects.toBe(reason);
    expect((reason as Interrupted).signal).toBe("SIGTERM");
    expect(aborts).toBe(1);
    await pastEchoes();
    expect(await interruptible(async () => "done")).toBe("done");
    expect(["SIGINT", "SIGTERM"].map((s) => process.listenerCount(s))).toEqual(before);
  });

  it("takes one Ctrl-C relayed several times (pnpm, tsx) as one, and a later one as the last", async () => {
    const before = process.listenerCount("SIGINT");
    let aborts = 0;
    const job = interruptible(async (signal) => {
      signal.addEventListener("abort", () => aborts++);
      // The terminal's copy, then the launchers' relayed copies, milliseconds apart.
      for (let i = 0; i < 3; i++) process.emit("SIGINT", "SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.emit("SIGINT", "SIGINT");
    });
    await expect(job).rejects.toBeInstanceOf(Interrupted);
    expect(aborts).toBe(1);
    // Still handled (ignored) while echoes may arrive: the process is not ended by them.
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    // After the window nothing of the command listens: a new Ctrl-C ends the process at once.
    await pastEchoes();
    expect(process.listenerCount("SIGINT")).toBe(before);
  });

  it("ends the command even where the job finished before it saw the signal", async () => {
    const finished = interruptible(async () => {
      process.emit("SIGINT", "SIGINT");
      return "done";
    });
    await expect(finished).rejects.toBeInstanceOf(Interrupted);
  });
});
