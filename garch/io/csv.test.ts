import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CsvError,
  levelsWarning,
  parseCsv,
  parseCsvRecords,
  parseNumber,
  readNumber,
  readSeries,
  tableSeries,
} from "./csv.js";

const fields = (text: string) => parseCsvRecords(text).map((record) => record.fields);
const caught = (f: () => unknown): CsvError => {
  try {
    f();
  } catch (error) {
    if (error instanceof CsvError) return error;
    throw error;
  }
  throw new Error("did not throw");
};

/** A cell written the way a quoting CSV writer writes it. */
const quote = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
/** Any text, heavy on the characters CSV treats specially. */
const anyCell = fc.string({
  unit: fc.constantFrom("a", "1", ",", '"', "\n", "\r\n", "\r", " ", "é"),
});

describe("parseCsvRecords", () => {
  it("reads quoted fields with commas, escaped quotes and line breaks", () => {
    const records = parseCsvRecords('a,"b,c"\r\n"say ""hi""","two\nlines"\nlast,\n');
    expect(records.map((r) => r.fields)).toEqual([
      ["a", "b,c"],
      ['say "hi"', "two\nlines"],
      ["last", ""],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it("counts a line break inside a quoted field however lines end (LF, CRLF or CR)", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = ["a,b", `"x${eol}y",1`, "2,3", `4,"five${eol}${eol}six"`, "7,8"].join(eol);
      expect(parseCsvRecords(text).map((r) => r.line)).toEqual([1, 2, 4, 5, 8]);
      expect(() => parseCsv(`${text}${eol}9`)).toThrow(/^line 9: expected 2 fields/);
    }
  });

  it("ignores a byte-order mark and a missing final line break", () => {
    expect(fields("\uFEFFx,y\n1,2")).toEqual([
      ["x", "y"],
      ["1", "2"],
    ]);
  });

  it("keeps empty quoted fields and empty records; a lone CR ends a record", () => {
    expect(fields('"",a\n\n')).toEqual([["", "a"], [""]]);
    expect(fields("a\rb\r\nc")).toEqual([["a"], ["b"], ["c"]]);
    expect(fields("")).toEqual([]);
  });

  it("names the line of malformed quoting", () => {
    const open = caught(() => parseCsvRecords('a\n"open\nmore'));
    expect(open.message).toBe("line 2: a quoted field is not closed");
    expect(open.line).toBe(2);
    expect(() => parseCsvRecords('a\nb"c')).toThrow("line 2: a quote inside an unquoted field");
    expect(() => parseCsvRecords(' "a"')).toThrow("line 1: a quote inside an unquoted field");
    expect(() => parseCsvRecords('x\n"a\nb"c')).toThrow(
      "line 3: unexpected character after a closing quote",
    );
  });

  it("parses back what a quoting writer produced (any text)", () => {
    const table = fc.array(fc.array(anyCell, { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(table, fc.constantFrom("\n", "\r\n", "\r"), fc.boolean(), (rows, eol, bom) => {
        // A lone empty field would be read as an empty line, so always quote.
        const text = rows.map((row) => row.map(quote).join(",")).join(eol);
        expect(fields(`${bom ? "\uFEFF" : ""}${text}${eol}`)).toEqual(rows);
      }),
    );
  });

  it("gives each record the line it starts on, counting breaks inside quoted fields", () => {
    const table = fc.array(fc.array(anyCell, { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(table, fc.constantFrom("\n", "\r\n", "\r"), (rows, eol) => {
        const lines = rows.map((row) => row.map(quote).join(","));
        const starts: number[] = [];
        let line = 1;
        for (const text of lines) {
          starts.push(line);
          line += (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
        }
        expect(parseCsvRecords(lines.join(eol)).map((r) => r.line)).toEqual(starts);
      }),
    );
  });
});

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
    expect(caught(() => parseCsv("a,b\n\n1,2\n3\n"))).toMatchObject({ row: 2, line: 4 });
    expect(() => parseCsv('a\n"1\n')).toThrow(/line 2: a quoted field is not closed/);
    expect(() => parseCsv("")).toThrow(CsvError);
    expect(() => parseCsv("\n\n")).toThrow("the file is empty: expected a header row");
  });
  it("skips empty lines, but in a one-column table only at the end", () => {
    expect(parseCsv("\n\na,b\n\n1,2\n\n\n")).toEqual({
      header: ["a", "b"],
      headerLine: 3,
      rows: [["1", "2"]],
      lines: [5],
    });
    expect(parseCsv("r\n1\n\n2\n\n\n")).toEqual({
      header: ["r"],
      headerLine: 1,
      rows: [["1"], [""], ["2"]],
      lines: [2, 3, 4],
    });
    expect(() => readSeries("r\n0.1\n\n0.2\n")).toThrow('line 3, column "r": is empty');
    expect(Array.from(readSeries("r\n0.1\n0.2\n\n\n").values)).toEqual([0.1, 0.2]);
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

describe("parseNumber and readNumber", () => {
  it("accept decimal and scientific notation only", () => {
    expect(parseNumber(" -1.25e-3 ")).toBe(-0.00125);
    expect(parseNumber(".5")).toBe(0.5);
    expect(readNumber(" 1e3 ")).toBe(1000);
    for (const bad of ["", "NA", "NaN", "Infinity", "0x10", "1,5", "1.2.3", "e5", "abc"]) {
      expect(parseNumber(bad)).toBeUndefined();
      expect(() => readNumber(bad)).toThrow(CsvError);
    }
  });
  it("readNumber says what is wrong, at the place given", () => {
    const where = { row: 3, line: 4, column: "r" };
    expect(caught(() => readNumber(" ", where))).toMatchObject({
      message: 'line 4, column "r": is empty',
      reason: "is empty",
      ...where,
    });
    expect(() => readNumber("x1", where)).toThrow(
      'line 4, column "r": "x1" is not a decimal number',
    );
    expect(() => readNumber("-1e999")).toThrow(/^-1e999 is out of range$/);
  });
});

describe("readSeries", () => {
  const csv = "date,r,note\n2020-01-01,0.5,x\n2020-01-02,-0.25,y\n";
  it("defaults to the first column that starts with a number", () => {
    const s = readSeries(csv);
    expect(s.column).toBe("r");
    expect(Array.from(s.values)).toEqual([0.5, -0.25]);
    expect(tableSeries(parseCsv(csv), "r")).toEqual(s);
  });
  it("reads a named column and names the line and column of a bad cell", () => {
    expect(() => readSeries("a,r\n1,2\n3,oops\n", "r")).toThrow(
      'line 3, column "r": "oops" is not a decimal number',
    );
    expect(caught(() => readSeries("a,r\n1,2\n\n3,\n", "r"))).toMatchObject({
      reason: "is empty",
      row: 2,
      line: 4,
      column: "r",
    });
    expect(() => readSeries(csv, "missing")).toThrow(/column "missing" is not in the header/);
    expect(() => readSeries("a,b\nx,y\n")).toThrow(/no column starts with a number/);
    expect(() => readSeries("d,r\nx,1\ny,2\nz,oops\n")).toThrow('line 4, column "r"');
    expect(() => readSeries("r\n")).toThrow(/no data rows/);
  });
  it("refuses a named column that the header holds twice, naming the line and the column", () => {
    expect(() => readSeries("r,r\n1,2\n3,4\n", "r")).toThrow(
      'line 1, column "r": the header names this column more than once (fields 1 and 2)',
    );
    expect(caught(() => readSeries("\nd,r, r\nx,1,2\n", "r"))).toMatchObject({
      line: 2,
      column: "r",
    });
    // Another column of the header may repeat: only the one asked for must be unique.
    expect(Array.from(readSeries("x,x,r\n1,2,3\n", "r").values)).toEqual([3]);
  });
  it("rejects overflowing numbers", () => {
    expect(() => readSeries("r\n1e999\n")).toThrow('line 2, column "r": 1e999 is out of range');
  });
  it("reads back any finite doubles written with String()", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }),
        (xs) => {
          const s = readSeries(["r", ...xs.map(String)].join("\r\n"));
          expect(Array.from(s.values)).toEqual(xs.map((x) => (x === 0 ? 0 : x)));
        },
      ),
    );
  });
});

describe("levelsWarning", () => {
  const series = (values: number[]) => ({ column: "close", values: Float64Array.from(values) });
  const walk = (n: number, step: (i: number) => number) => {
    const out = [100];
    for (let i = 1; i < n; i++) out.push(out[i - 1]! + step(i));
    return out;
  };

  it("names a column of prices: positive, each close to the last", () => {
    const prices = walk(300, (i) => Math.sin(i * 1.7) + 0.05);
    expect(levelsWarning(series(prices))).toMatch(
      /^column "close" looks like price levels, not returns \(every value positive, lag-1 autocorrelation 0\.\d\d\)/,
    );
  });

  it("says nothing of returns, of positive series without memory, or of short series", () => {
    const returns = Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7));
    expect(levelsWarning(series(returns))).toBeUndefined();
    expect(levelsWarning(series(returns.map(Math.abs)))).toBeUndefined();
    expect(levelsWarning(series(walk(19, () => 1)))).toBeUndefined();
    expect(levelsWarning(series(Array(50).fill(3)))).toBeUndefined();
  });
});
