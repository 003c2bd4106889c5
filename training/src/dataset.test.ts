import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FeatureSchemaSchema, MAX_FEATURES } from "@mlops/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { thrownBy } from "../test-support/thrown.js";
import {
  loadDataset,
  parseDataset,
  parseLabelledTable,
  stratifiedSplit,
  takeRows,
} from "./dataset.js";
import { DatasetError, OptionError } from "./errors.js";

const DEMO = new URL("../data/demo-classification.csv", import.meta.url);
const csv = (text: string) => new TextEncoder().encode(text);

/** A CSV of `perClass` rows for each label, features f0 (row number) and f1. */
function table(labels: string[], perClass = 5, extra = ""): string {
  const lines = ["f0,f1,y"];
  labels.forEach((label, k) => {
    for (let i = 0; i < perClass; i++) lines.push(`${k * perClass + i},${i % 2},${label}`);
  });
  return `${lines.join("\n")}\n${extra}`;
}

const thrown = (text: string, label = "y"): DatasetError =>
  thrownBy(() => parseDataset(csv(text), { label }), DatasetError);

describe("parseDataset", () => {
  it("reads the demo file with its split column and hashes its bytes", () => {
    const bytes = readFileSync(DEMO);
    const data = parseDataset(bytes, { label: "label" });
    expect(data.featureNames).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    expect(data.classNames).toEqual(["0", "1"]);
    expect(data.y.length).toBe(10_000);
    expect([data.split.train.length, data.split.test.length]).toEqual([8000, 2000]);
    expect(data.splitSource).toBe("column");
    expect(data.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(data.x[0]).toBe(1.3571854745057867);
  });

  it("orders integer labels numerically and other labels by code point", () => {
    expect(parseDataset(csv(table(["10", "2", "-1"])), { label: "y" }).classNames).toEqual([
      "-1",
      "2",
      "10",
    ]);
    const names = parseDataset(csv(table(["b", "B", "a"])), { label: "y" });
    expect(names.classNames).toEqual(["B", "a", "b"]);
    expect(Array.from(names.y.subarray(0, 1))).toEqual([2]);
  });

  it("splits 80/20 per class, seeded, when there is no split column", () => {
    const text = csv(table(["a", "b", "c"], 20));
    const one = parseDataset(text, { label: "y", seed: 7 });
    expect(one.splitSource).toBe("stratified");
    expect(one.split.test.length).toBe(12);
    for (let k = 0; k < 3; k++) {
      expect(Array.from(one.split.test).filter((i) => one.y[i] === k)).toHaveLength(4);
    }
    expect(parseDataset(text, { label: "y", seed: 7 }).split).toEqual(one.split);
    expect(parseDataset(text, { label: "y", seed: 8 }).split).not.toEqual(one.split);
  });

  it("names the row and column of a bad cell", () => {
    const bad = thrown(table(["a", "b"], 5).replace("3,1,a", "3,x1,a"));
    expect(bad.message).toBe('row 4 (line 5) column "f1": "x1" is not a decimal number');
    expect([bad.row, bad.line, bad.column]).toEqual([4, 5, "f1"]);
    expect(thrown(table(["a", "b"]).replace("2,0,a", "2,,a")).message).toBe(
      'row 3 (line 4) column "f1": is empty',
    );
    expect(thrown(table(["a", "b"]).replace("2,0,a", "2,NaN,a")).column).toBe("f1");
    expect(thrown(table(["a", "b"]).replace("2,0,a", "2,1e999,a")).message).toMatch(/out of range/);
    expect(thrown(table(["a", "b"]).replace("2,0,a", "2,0,")).message).toBe(
      'row 3 (line 4) column "y": the label is empty',
    );
    expect(thrown(table(["a", "b"]).replace("2,0,a", "2,0")).message).toBe(
      "row 3 (line 4): has 2 fields, the header has 3",
    );
    expect(thrown(table(["a", "b"]).replace("2,0,a\n", "2,0,a\n\n")).message).toBe(
      "row 4 (line 5): is a blank line; the header has 3 fields (only trailing blank lines are skipped)",
    );
  });

  it("refuses bytes that are not UTF-8, naming the first line that holds them", () => {
    // "sí" in Latin-1 on line 4: decoded leniently it would read "s\uFFFD", as would "sé".
    const latin1 = Uint8Array.from(
      Buffer.from(table(["no", "s\u00ed"]).replace("\n", "\r\n"), "latin1"),
    );
    const error = thrownBy(() => parseDataset(latin1, { label: "y" }), DatasetError);
    expect(error.message).toBe("(line 7): is not UTF-8 text: save the file as UTF-8");
    expect(error.line).toBe(7);
    // A byte-order mark and multi-byte UTF-8 are text.
    const utf8 = parseDataset(csv(`\uFEFF${table(["no", "s\u00ed"])}`), { label: "y" });
    expect(utf8.classNames).toEqual(["no", "s\u00ed"]);
    expect(utf8.featureNames).toEqual(["f0", "f1"]);
  });

  it("rejects bad headers and label columns", () => {
    expect(thrown("f0,f0,y\n1,2,a\n").message).toBe('(line 1) column "f0": duplicate column name');
    expect(thrown("f0,,y\n1,2,a\n").message).toMatch(/header field 2 is empty/);
    expect(thrown(table(["a", "b"]), "target").message).toMatch(
      /^column "target": the label column is missing/,
    );
    expect(thrown("f0;f1;y\n1;2;a\n", "y").message).toBe(
      'column "y": the label column is missing (columns: f0;f1;y); the header reads as one column: fields must be separated by commas, not ";"',
    );
    expect(thrown("f0\tf1\ty\n1\t2\ta\n", "y").message).toMatch(/not "\\t"$/);
    expect(thrown(table(["a", "b"]), "target").message).not.toMatch(/separated/);
    expect(thrown("y\na\n").message).toMatch(/no feature columns/);
    expect(thrown("").message).toMatch(/empty/);
    expect(thrown("f0,y\n").message).toMatch(/no rows/);
  });

  it("needs two classes with enough rows each", () => {
    expect(thrown(table(["a"])).message).toBe('column "y": needs at least 2 classes, found 1');
    expect(thrown(table(["a", "b"], 4)).message).toBe(
      'column "y": class "a" has 4 rows; each class needs at least 5',
    );
  });

  it("leaves the class rules to training: a table to score may hold one class, in few rows", () => {
    const slice = parseLabelledTable(csv(table(["a"], 2)), { label: "y" });
    expect(slice.classNames).toEqual(["a"]);
    expect(Array.from(slice.y)).toEqual([0, 0]);
    expect(slice).not.toHaveProperty("split");
    expect(() => parseLabelledTable(csv("f0,y,split\n1,a,dev\n"), { label: "y" })).toThrow(
      '"dev" is not "train" or "test"',
    );
  });

  it("reads only the features named, in their order, and names the columns it left unread", () => {
    const text = "id,f0,y,f1,note,split\nr1,1,a,2,x,train\nr2,3,b,4,y,test\n";
    const scored = parseLabelledTable(csv(text), { label: "y", features: ["f1", "f0"] });
    expect(scored.featureNames).toEqual(["f1", "f0"]);
    expect(Array.from(scored.x)).toEqual([2, 1, 4, 3]);
    expect(scored.ignoredColumns).toEqual(["id", "note"]);
    expect(parseLabelledTable(csv("f0,y\n1,a\n"), { label: "y" }).ignoredColumns).toEqual([]);
    for (const missing of ["f2", "y", "split"]) {
      expect(() => parseLabelledTable(csv(text), { label: "y", features: [missing] })).toThrow(
        `column "${missing}": the model needs this feature column`,
      );
    }
  });

  it("refuses what a model's feature schema cannot record, before anything is trained", () => {
    /** A CSV with `features` feature columns named by `name`, the label column `label`, and rows. */
    const wide = (features: number, name = (j: number) => `f${j}`, label = "y", classes = 2) => {
      const header = [...Array.from({ length: features }, (_, j) => name(j)), label].join(",");
      const rows: string[] = [];
      for (let k = 0; k < classes; k++) {
        for (let i = 0; i < 5; i++) rows.push(`${"0,".repeat(features)}c${k}`);
      }
      return `${header}\n${rows.join("\n")}\n`;
    };
    // At the limits the data set is read, and its schema is one a manifest records.
    const edge = parseDataset(
      csv(wide(MAX_FEATURES, (j) => `${"x".repeat(123)}${j}`.slice(-128))),
      {
        label: "y",
      },
    );
    const classes = parseDataset(csv(wide(1, undefined, "t".repeat(128), 1000)), {
      label: "t".repeat(128),
    });
    for (const data of [edge, classes]) {
      const schema = {
        kind: "classifier",
        features: data.featureNames.map((name) => ({ name, type: "number" })),
        target: data.labelName,
        classes: data.classNames,
      };
      expect(FeatureSchemaSchema.safeParse(schema).success).toBe(true);
    }
    expect(classes.classNames).toHaveLength(1000);

    expect(thrown(wide(MAX_FEATURES + 1)).message).toBe(
      `(line 1): the header has ${MAX_FEATURES + 1} feature columns; a model takes at most ${MAX_FEATURES} features`,
    );
    expect(thrown(wide(20_000)).line).toBe(1);
    const longName = thrown(wide(3, (j) => (j === 1 ? "n".repeat(129) : `f${j}`)));
    expect(longName.message).toMatch(
      /^\(line 1\) column "n{39}…": header field 2: a feature name has at most 128 characters \(this one has 129\)$/,
    );
    const label = "L".repeat(129);
    expect(
      thrownBy(() => parseDataset(csv(wide(2, undefined, label)), { label }), OptionError).message,
    ).toMatch(
      /^--label must name a column of at most 128 characters, the longest target name a model records \(this one has 129\) \(got "L{39}…"\)$/,
    );
    const longClass = `${table(["a", "b"]).trimEnd()}\n${Array(5)
      .fill(`1,1,${"c".repeat(129)}`)
      .join("\n")}\n`;
    expect(thrown(longClass).message).toMatch(
      /^row 11 \(line 12\) column "y": the class "c{39}…" has 129 characters; a class label has at most 128$/,
    );
    expect(thrown(wide(1, undefined, "y", 1001)).message).toBe(
      'column "y": has 1001 classes; a model predicts at most 1000',
    );
  });

  it("checks the split column's values and that each part has every class", () => {
    const rows = (parts: string[]) =>
      ["f0,y,split", ...parts.map((p, i) => `${i},${i < 5 ? "a" : "b"},${p}`)].join("\n");
    const ok = [..."trtttrtttt"].map((c) => (c === "t" ? "train" : "test"));
    expect(parseDataset(csv(rows(ok)), { label: "y" }).split.test).toEqual(Int32Array.of(1, 5));
    const bad = thrown(rows(ok.map((p, i) => (i === 3 ? "valid" : p))));
    expect([bad.row, bad.column]).toEqual([4, "split"]);
    expect(thrown(rows(ok.map((p, i) => (i === 5 ? "train" : p)))).message).toBe(
      'column "split": the test part has no row of class "b"; every class must be in both parts',
    );
  });

  it("validates its options", () => {
    expect(() => parseDataset(csv(table(["a", "b"])), { label: "y", testFraction: 1 })).toThrow(
      new OptionError("testFraction", "must be a number in (0, 1)", 1),
    );
    expect(() => parseDataset(csv(table(["a", "b"])), { label: "y", seed: -1 })).toThrow(
      /^seed must be an integer/,
    );
  });

  it("takes rows in the given order", () => {
    const data = parseDataset(csv(table(["a", "b"])), { label: "y" });
    const rows = takeRows(data, Int32Array.of(9, 0));
    expect(Array.from(rows.x)).toEqual([9, 0, 0, 0]);
    expect(Array.from(rows.y)).toEqual([1, 0]);
  });
});

describe("loadDataset", () => {
  it.each([
    ["a missing file", join(tmpdir(), "no-such-dir", "data.csv"), "no such file or directory"],
    ["a directory", tmpdir(), "it is a directory"],
  ])("names %s and why it cannot be read", async (_, path, why) => {
    const error = await loadDataset(path, { label: "y" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(`cannot read ${path}: ${why}`);
  });
});

describe("stratifiedSplit", () => {
  it("partitions every row and holds out ≈ the fraction of each class", () => {
    const labels = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 200 });
    fc.assert(
      fc.property(
        labels,
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.nat(),
        (raw, fraction, seed) => {
          // Make each class present at least twice.
          const y = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3, ...raw]);
          const { train, test } = stratifiedSplit(y, 4, fraction, seed);
          expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from(y.keys()));
          for (let k = 0; k < 4; k++) {
            const n = y.filter((v) => v === k).length;
            const held = Array.from(test).filter((i) => y[i] === k).length;
            expect(held).toBe(Math.min(n - 1, Math.max(1, Math.round(fraction * n))));
          }
        },
      ),
    );
  });
});
