import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { OptionError } from "../errors.js";
import { checkGateMetric, dataFlag, decimalNumber, integer, number, seedFlag } from "./flags.js";

describe("integer", () => {
  it("checks --seed's bound at the flag", () => {
    expect(seedFlag("4294967295")).toBe(4294967295);
    for (const text of ["4294967296", "99999999999999999999"]) {
      expect(() => seedFlag(text)).toThrow(
        new InvalidArgumentError(
          `--seed must be an integer in [0, 4294967295] (got ${JSON.stringify(text)})`,
        ),
      );
    }
  });

  it("refuses an integer past the safe ones, which would not read as typed", () => {
    const version = integer("--version", 1);
    expect(version("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => version("9007199254740993")).toThrow(
      '--version must be an integer in [1, 9007199254740991] (got "9007199254740993")',
    );
    expect(() => version("0")).toThrow('--version must be an integer ≥ 1 (got "0")');
  });
});

describe("dataFlag", () => {
  it("refuses an empty path, naming --data", () => {
    expect(dataFlag("a.csv")).toBe("a.csv");
    for (const text of ["", " "]) {
      expect(() => dataFlag(text)).toThrow("--data must name a file (got an empty path)");
    }
  });
});

describe("checkGateMetric", () => {
  it("names --metric", () => {
    expect(checkGateMetric("log_loss")).toBe("log_loss");
    expect(() => checkGateMetric("speed")).toThrow(OptionError);
    expect(() => checkGateMetric("speed")).toThrow(/^--metric must be one of accuracy, /);
  });
});

describe("number", () => {
  it("reads decimal numbers as people write them, and nothing else Number() would take", () => {
    const sd = number("--sd");
    expect([
      sd("2"),
      sd("0.5"),
      sd("-1.25"),
      sd("-0"),
      sd(".05"),
      sd("+0.05"),
      sd("5e-2"),
      sd("1E3"),
      sd("2."),
      sd("1E-05"),
      sd("5.0E-4"),
    ]).toEqual([2, 0.5, -1.25, -0, 0.05, 0.05, 0.05, 1000, 2, 1e-5, 5e-4]);
    for (const text of [
      "0x10",
      "0b1",
      " .5",
      ".",
      "",
      "e3",
      "Infinity",
      "--1",
      "1 ",
      "1e400",
      "1_000",
      "0o7",
      "NaN",
      " 5",
    ]) {
      expect(() => sd(text)).toThrow(
        new InvalidArgumentError(
          `--sd must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got ${JSON.stringify(text)})`,
        ),
      );
    }
  });
});

describe("decimalNumber", () => {
  it("is the one reading of a number: decimal, finite, unpadded", () => {
    expect(["7", "-0.5", "1e-05", "5.0E-4"].map(decimalNumber)).toEqual([7, -0.5, 1e-5, 5e-4]);
    for (const text of ["0x10", "0b1", "", " ", " 5", "Infinity", "NaN", "1e400", "1,5"]) {
      expect(decimalNumber(text)).toBeUndefined();
    }
  });
});
