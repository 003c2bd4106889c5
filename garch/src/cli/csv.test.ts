import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvError, parseCsv, parseNumber, readSeries } from "./csv.js";

describe("parseCsv", () => {
  it("handles quotes, doubled quotes, CRLF and blank lines", () => {
    const t = parseCsv('"date","r"\r\n"2020-01-01, Mon",1.5\r\n\r\n"say ""hi""",-2e-3\n');
    expect(t.header).toEqual(["date", "r"]);
    expect(t.rows).toEqual([
      ["2020-01-01, Mon", "1.5"],
      ['say "hi"', "-2e-3"],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });
  it("rejects ragged rows and unclosed quotes, naming the line", () => {
    expect(() => parseCsv("a,b\n1,2\n3\n")).toThrow(/line 3: expected 2 fields/);
    expect(() => parseCsv('a\n"1\n')).toThrow(/line 2: a quoted field is not closed/);
    expect(() => parseCsv("")).toThrow(CsvError);
  });
  it("round-trips any table of plain fields", () => {
    const cell = fc.stringMatching(/^[a-z0-9.]{1,6}$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((w) =>
          fc.array(fc.array(cell, { minLength: w, maxLength: w }), {
            minLength: 1,
            maxLength: 8,
          }),
        ),
        (table) => {
          const parsed = parseCsv(table.map((r) => r.join(",")).join("\n"));
          expect([parsed.header, ...parsed.rows]).toEqual(table);
        },
      ),
    );
  });
});

describe("parseNumber", () => {
  it("accepts decimal and scientific notation only", () => {
    expect(parseNumber(" -1.25e-3 ")).toBe(-0.00125);
    expect(parseNumber(".5")).toBe(0.5);
    for (const bad of ["", "NA", "NaN", "Infinity", "0x10", "1,5", "1.2.3", "e5", "abc"]) {
      expect(parseNumber(bad)).toBeUndefined();
    }
  });
});

describe("readSeries", () => {
  const csv = "date,r,note\n2020-01-01,0.5,x\n2020-01-02,-0.25,y\n";
  it("defaults to the first column that starts with a number", () => {
    const s = readSeries(csv);
    expect(s.column).toBe("r");
    expect(Array.from(s.values)).toEqual([0.5, -0.25]);
  });
  it("reads a named column and names the line and column of a bad cell", () => {
    expect(() => readSeries("a,r\n1,2\n3,oops\n", "r")).toThrow(
      'line 3, column "r": "oops" is not a finite number',
    );
    expect(() => readSeries(csv, "missing")).toThrow(/column "missing" is not in the header/);
    expect(() => readSeries("a,b\nx,y\n")).toThrow(/no column starts with a number/);
    expect(() => readSeries("d,r\nx,1\ny,2\nz,oops\n")).toThrow('line 4, column "r"');
    expect(() => readSeries("r\n")).toThrow(/no data rows/);
  });
  it("rejects overflowing numbers", () => {
    expect(() => readSeries("r\n1e999\n")).toThrow(/not a finite number/);
  });
});
