import { CsvError, readNumber } from "@mlops/garch/csv";
import { describe, expect, it } from "vitest";
import { parseCsv, withDatasetErrors } from "./csv.js";
import { DatasetError } from "./errors.js";

// The parser itself is @mlops/garch's (tested there); this pins training's error contract.
describe("parseCsv", () => {
  it("reads records with the line each starts on", () => {
    const records = parseCsv('\uFEFFa,"b,c"\r\n"two\nlines",x\nlast,\n');
    expect(records).toEqual([
      { fields: ["a", "b,c"], line: 1 },
      { fields: ["two\nlines", "x"], line: 2 },
      { fields: ["last", ""], line: 4 },
    ]);
  });

  it("throws DatasetError naming the line of malformed quoting", () => {
    expect(() => parseCsv('a\n"open')).toThrow(/line 2: a quoted field is not closed/);
    expect(() => parseCsv('a\nb"c')).toThrow(/line 2: a quote inside an unquoted field/);
    expect(() => parseCsv('"a"b')).toThrow(DatasetError);
    expect(() => parseCsv('"a"b')).toThrow(/line 1: unexpected character after a closing quote/);
  });
});

describe("withDatasetErrors", () => {
  it("puts a cell's row, line and column on the DatasetError", () => {
    const where = { row: 2, line: 3, column: "r" };
    let error: unknown;
    try {
      withDatasetErrors(() => readNumber("abc", where));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({
      message: 'row 2 (line 3) column "r": "abc" is not a decimal number',
      ...where,
    });
  });

  it("passes other errors and results through", () => {
    expect(withDatasetErrors(() => 7)).toBe(7);
    const other = new RangeError("x");
    expect(() =>
      withDatasetErrors(() => {
        throw other;
      }),
    ).toThrow(other);
    expect(() =>
      withDatasetErrors(() => {
        throw new CsvError("the file is empty: expected a header row");
      }),
    ).toThrow(new DatasetError("the file is empty: expected a header row"));
  });
});
