import { describe, expect, it } from "vitest";
import { Interrupted } from "../errors.js";
import { interruptible } from "./interrupt.js";

describe("interruptible", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "aborts the job's signal on %s with Interrupted (exit code %i)",
    async (name, code) => {
      const before = process.listenerCount(name);
      const reason = await interruptible(
        (signal) =>
          new Promise<unknown>((resolve) => {
            signal.addEventListener("abort", () => resolve(signal.reason));
            process.emit(name, name);
          }),
      );
      expect(reason).toBeInstanceOf(Interrupted);
      expect((reason as Interrupted).signal).toBe(name);
      expect((reason as Interrupted).exitCode).toBe(code);
      // Its handlers are gone: a second signal gets the process's default, and so does the next
      // command's.
      expect(process.listenerCount(name)).toBe(before);
    },
  );

  it("takes the first signal only, and leaves nothing behind when the job ends", async () => {
    const before = ["SIGINT", "SIGTERM"].map((s) => process.listenerCount(s));
    let aborts = 0;
    await interruptible(async (signal) => {
      expect(process.listenerCount("SIGINT")).toBe(before[0]! + 1);
      signal.addEventListener("abort", () => aborts++);
      process.emit("SIGTERM", "SIGTERM");
      // Handled by whoever else listens, not by this command's handler.
      process.emit("SIGINT", "SIGINT");
      expect((signal.reason as Interrupted).signal).toBe("SIGTERM");
    });
    expect(aborts).toBe(1);
    await interruptible(async () => "done");
    expect(["SIGINT", "SIGTERM"].map((s) => process.listenerCount(s))).toEqual(before);
  });
});
