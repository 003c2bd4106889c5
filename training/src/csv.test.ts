import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv.js";
import { DatasetError } from "./errors.js";

const fields = (text: string) => parseCsv(text).map((record) => record.fields);

describe("parseCsv", () => {
  it("reads quoted fields with commas, escaped quotes and line breaks", () => {
    const records = parseCsv('a,"b,c"\r\n"say ""hi""","two\nlines"\nlast,\n');
    expect(records.map((r) => r.fields)).toEqual([
      ["a", "b,c"],
      ['say "hi"', "two\nlines"],
      ["last", ""],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it("ignores a byte-order mark and a missing final line break", () => {
    expect(fields("\uFEFFx,y\n1,2")).toEqual([
      ["x", "y"],
      ["1", "2"],
    ]);
  });

  it("keeps empty quoted fields and empty records", () => {
    expect(fields('"",a\n\n')).toEqual([["", "a"], [""]]);
  });

  it("names the line of malformed quoting", () => {
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated quoted field starting on line 2/);
    expect(() => parseCsv('a\nb"c')).toThrow(/line 2: a quote inside an unquoted field/);
    expect(() => parseCsv('"a"b')).toThrow(DatasetError);
  });

  it("parses back what a quoting writer produced (any text)", () => {
    const cell = fc.string({ unit: fc.constantFrom("a", "1", ",", '"', "\n", "\r\n", " ", "é") });
    const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(table, (rows) => {
        // A lone empty field would be read as an empty line, so always quote.
        const text = rows
          .map((row) => row.map((c) => `"${c.replaceAll('"', '""')}"`).join(","))
          .join("\n");
        expect(fields(text)).toEqual(rows);
      }),
    );
  });
});
