import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BINNING_SAMPLE, binRows, fitBins, transposeBins } from "./binning.js";

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe("fitBins", () => {
  it("gives a feature with few distinct values one bin per value, edges at the midpoints", () => {
    // Two features, row-major: f0 takes 3 values, f1 is constant.
    const x = Float64Array.from([2, 5, 1, 5, 4, 5, 2, 5, 1, 5]);
    const bins = fitBins(x, 2, all(5), 255, 1);
    expect(Array.from(bins.edges[0])).toEqual([1.5, 3]);
    expect(Array.from(bins.edges[1])).toEqual([]);
    expect(Array.from(bins.offsets)).toEqual([0, 3, 4]);
  });

  it("puts the edges of a continuous feature at midpoint percentiles", () => {
    // 0..999: the 1/4, 2/4 and 3/4 percentiles by numpy's "midpoint" rule.
    const x = Float64Array.from({ length: 1000 }, (_, i) => i);
    const { edges } = fitBins(x, 1, all(1000), 4, 1);
    expect(Array.from(edges[0])).toEqual([249.5, 499.5, 749.5]);
  });

  it("never gives repeated or top-value edges when values repeat", () => {
    // 90 % of the rows are 0: the low percentiles coincide.
    const x = Float64Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i));
    const { edges } = fitBins(x, 1, all(1000), 16, 1);
    for (let b = 1; b < edges[0].length; b++) expect(edges[0][b]).toBeGreaterThan(edges[0][b - 1]);
    expect(edges[0][edges[0].length - 1]).toBeLessThan(999);
    expect(edges[0].length).toBeLessThanOrEqual(15);
  });

  it("keeps every feature within maxBins bins", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 2, max: 255 }),
        (values, maxBins) => {
          const { edges } = fitBins(Float64Array.from(values), 1, all(values.length), maxBins, 3);
          expect(edges[0].length + 1).toBeLessThanOrEqual(maxBins);
        },
      ),
    );
  });

  it("computes edges from a seeded sample above BINNING_SAMPLE rows", () => {
    const n = BINNING_SAMPLE + 5000;
    const x = Float64Array.from({ length: n }, (_, i) => (i * 7919) % n);
    const a = fitBins(x, 1, all(n), 32, 1);
    expect(fitBins(x, 1, all(n), 32, 1).edges[0]).toEqual(a.edges[0]);
    expect(fitBins(x, 1, all(n), 32, 2).edges[0]).not.toEqual(a.edges[0]);
  });
});

describe("binRows", () => {
  it("routes by bins exactly as by the edges: bin ≤ b ⇔ value ≤ edges[b]", () => {
    const value = fc.oneof(
      fc.double({ min: -100, max: 100, noNaN: true }),
      fc.integer({ min: -5, max: 5 }),
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 2, maxLength: 200 }),
        fc.array(value, { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 2, max: 40 }),
        (train, probe, maxBins) => {
          const bins = fitBins(Float64Array.from(train), 1, all(train.length), maxBins, 5);
          const edges = bins.edges[0];
          const binned = binRows(Float64Array.from(probe), 1, bins);
          probe.forEach((v, i) => {
            for (let b = 0; b < edges.length; b++) {
              expect(binned[i] <= b).toBe(v <= edges[b]);
            }
          });
        },
      ),
    );
  });

  it("writes histogram bin indexes (each feature after the previous one's bins)", () => {
    const x = Float64Array.from([0, 10, 1, 20, 2, 30]);
    const bins = fitBins(x, 2, all(3), 255, 1);
    const binned = binRows(x, 2, bins);
    expect(binned).toBeInstanceOf(Uint16Array);
    expect(Array.from(binned)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(binRows(x, 2, bins, true).buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe("transposeBins", () => {
  it("lays the bins out feature by feature", () => {
    const rows = Uint16Array.from([0, 3, 1, 4, 2, 5]);
    expect(Array.from(transposeBins(rows, 2))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(transposeBins(Uint32Array.from(rows), 3)).toBeInstanceOf(Uint32Array);
  });
});
