import type { ModelVersion } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { parseDataset, stratifiedSplit, TEST_FRACTION } from "../dataset.js";
import { heldOutRows, recordedSeed } from "./held-out.js";

const csv = (text: string) => new TextEncoder().encode(text);

/** 20 rows of each of two classes; with `split`, the last 4 of each class are test rows. */
function file(split: boolean): Uint8Array {
  const rows = Array.from({ length: 40 }, (_, i) => {
    const part = split ? `,${i % 20 >= 16 ? "test" : "train"}` : "";
    return `${i},${i < 20 ? "a" : "b"}${part}`;
  });
  return csv([`f0,y${split ? ",split" : ""}`, ...rows].join("\n"));
}

/** A registered version with this data hash and params. */
const version = (sha256: string | null, params: ModelVersion["params"]) =>
  ({ name: "m", version: 3, data_hash: sha256, params }) as ModelVersion;

describe("heldOutRows", () => {
  it("gives the split of the version's recorded seed, whatever seed the file was read with", () => {
    const dataset = parseDataset(file(false), { label: "y", seed: 42 });
    const rows = heldOutRows(version(dataset.sha256, { seed: 9 }), dataset).rows;
    expect(rows).toEqual(stratifiedSplit(dataset.y, 2, TEST_FRACTION, 9).test);
    expect(rows).not.toEqual(dataset.split.test);
  });

  it("gives the split column's test rows when the file has one", () => {
    const dataset = parseDataset(file(true), { label: "y" });
    expect(heldOutRows(version(dataset.sha256, { seed: 9 }), dataset).rows).toEqual(
      dataset.split.test,
    );
    // The column decides: no seed is needed.
    expect(heldOutRows(version(dataset.sha256, {}), dataset).rows).toEqual(dataset.split.test);
  });

  it("says why they are unknown: another file, no data hash, or no seed without a split column", () => {
    const dataset = parseDataset(file(false), { label: "y" });
    const other = "f".repeat(64);
    expect(heldOutRows(version(other, { seed: 9 }), dataset)).toEqual({
      rows: null,
      unknown: `m@3 was trained on another file (sha256 ffffffffffff…, this one's ${dataset.sha256.slice(0, 12)}…)`,
    });
    expect(heldOutRows(version(null, { seed: 9 }), dataset).unknown).toBe(
      "m@3 records no data hash: its training file is unknown",
    );
    expect(heldOutRows(version(dataset.sha256, { seed: "9" }), dataset).unknown).toBe(
      "m@3 records no split seed (params.seed), and the file has no split column",
    );
  });
});

describe("recordedSeed", () => {
  it("reads an integer seed from the params, else null", () => {
    expect(recordedSeed({ params: { seed: 0 } })).toBe(0);
    expect(recordedSeed({ params: { seed: 1.5 } })).toBeNull();
    expect(recordedSeed({ params: {} })).toBeNull();
  });
});
