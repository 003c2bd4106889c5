import { availableParallelism } from "node:os";
import { parseServingConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { workerCount } from "./cluster.js";

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
