import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildHistogram, HIST_STRIDE } from "./histogram.js";
import { bestSplit, MIN_SPLIT_GAIN, type SplitRules } from "./split.js";

/** Rows of random bins over `nBins` per feature, with gradients and hessians. */
const problem = fc.record({
  nFeatures: fc.integer({ min: 1, max: 3 }),
  nBins: fc.integer({ min: 1, max: 6 }),
  rows: fc.array(
    fc.record({
      bins: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      g: fc.double({ min: -1, max: 1, noNaN: true }),
      h: fc.double({ min: 0.01, max: 0.25, noNaN: true }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  rules: fc.record({
    minSamplesLeaf: fc.integer({ min: 1, max: 5 }),
    minHessianLeaf: fc.constantFrom(0, 0.05),
    l2Regularization: fc.constantFrom(0, 1),
  }),
});

type Problem = typeof problem extends fc.Arbitrary<infer T> ? T : never;

function histogramOf({ nFeatures, nBins, rows }: Problem, which: readonly number[]) {
  const offsets = Int32Array.from({ length: nFeatures + 1 }, (_, f) => f * nBins);
  const bins = new Uint16Array(rows.length * nFeatures);
  const gh = new Float64Array(2 * rows.length);
  rows.forEach((row, i) => {
    for (let f = 0; f < nFeatures; f++) bins[i * nFeatures + f] = f * nBins + (row.bins[f] % nBins);
    gh[2 * i] = row.g;
    gh[2 * i + 1] = row.h;
  });
  const features = Int32Array.from({ length: nFeatures }, (_, f) => f);
  const hist = new Float64Array(nFeatures * nBins * HIST_STRIDE);
  const input = { bins, nFeatures, offsets, gh, rows: Int32Array.from(which) };
  buildHistogram(input, 0, 0, which.length, features, 0, nFeatures, hist);
  return { offsets, features, hist, bins };
}

/**
 * The gain of splitting `rows` (all of them when not given) at feature `f`, bin `b`, by brute
 * force; null where the split leaves a side short of the rules' rows or hessian.
 */
function splitGain(
  p: Problem,
  rules: SplitRules,
  f: number,
  b: number,
  rows: Problem["rows"] = p.rows,
): number | null {
  const sum = (side: Problem["rows"]) => ({
    g: side.reduce((s, r) => s + r.g, 0),
    h: side.reduce((s, r) => s + r.h, 0),
    n: side.length,
  });
  const score = ({ g, h }: { g: number; h: number }) => (g * g) / (h + rules.l2Regularization);
  const left = sum(rows.filter((r) => r.bins[f] % p.nBins <= b));
  const right = sum(rows.filter((r) => r.bins[f] % p.nBins > b));
  if (Math.min(left.n, right.n) < rules.minSamplesLeaf) return null;
  if (Math.min(left.h, right.h) < rules.minHessianLeaf) return null;
  return score(left) + score(right) - score(sum(rows));
}

/** Every admissible (feature, bin) by brute force over the rows; the best gain. */
function bruteForce(p: Problem, rules: SplitRules): number {
  let best = MIN_SPLIT_GAIN;
  for (let f = 0; f < p.nFeatures; f++) {
    for (let b = 0; b < p.nBins - 1; b++) best = Math.max(best, splitGain(p, rules, f, b) ?? best);
  }
  return best;
}

describe("bestSplit", () => {
  it("finds the largest admissible gain that brute force finds", () => {
    fc.assert(
      fc.property(problem, (p) => {
        const which = p.rows.map((_, i) => i);
        const { offsets, features, hist } = histogramOf(p, which);
        const node = {
          gradient: p.rows.reduce((s, r) => s + r.g, 0),
          hessian: p.rows.reduce((s, r) => s + r.h, 0),
          count: p.rows.length,
        };
        const split = bestSplit(hist, offsets, features, node, p.rules);
        const expected = bruteForce(p, p.rules);
        if (split === null) {
          // None, or only gains within rounding of MIN_SPLIT_GAIN.
          expect(expected).toBeLessThan(MIN_SPLIT_GAIN + 1e-9);
          return;
        }
        expect(split.gain).toBeCloseTo(expected, 9);
        expect(split.left.count + split.right.count).toBe(p.rows.length);
        expect(Math.min(split.left.count, split.right.count)).toBeGreaterThanOrEqual(
          p.rules.minSamplesLeaf,
        );
      }),
    );
  });

  it("subtracts the sibling's histogram while it searches (parent − sibling = this node)", () => {
    fc.assert(
      fc.property(problem, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (p, side) => {
        const all = p.rows.map((_, i) => i);
        const mine = all.filter((i) => side[i]);
        const sibling = all.filter((i) => !side[i]);
        const parent = histogramOf(p, all);
        const direct = histogramOf(p, mine);
        const node = {
          gradient: mine.reduce((s, i) => s + p.rows[i].g, 0),
          hessian: mine.reduce((s, i) => s + p.rows[i].h, 0),
          count: mine.length,
        };
        const { offsets, features } = parent;
        const fused = bestSplit(
          parent.hist,
          offsets,
          features,
          node,
          p.rules,
          histogramOf(p, sibling).hist,
        );
        parent.hist.forEach((v, k) => {
          expect(v).toBeCloseTo(direct.hist[k], 9);
        });
        const plain = bestSplit(direct.hist, offsets, features, node, p.rules);
        // Rounding may tip a gain within a hair of MIN_SPLIT_GAIN either way; beyond it, the same split.
        expect(fused?.gain ?? 0).toBeCloseTo(plain?.gain ?? 0, 5);
        if (plain !== null && plain.gain > 1e-4 && fused !== null) {
          // The same split, or one whose gain ties with it (two features may cut the rows alike:
          // then rounding in the subtraction decides which comes first).
          const bin = (s: { feature: number; bin: number }) => s.bin - offsets[s.feature]!;
          const rows = mine.map((i) => p.rows[i]!);
          const chosen = splitGain(p, p.rules, fused.feature, bin(fused), rows);
          const best = splitGain(p, p.rules, plain.feature, bin(plain), rows);
          expect(chosen).not.toBeNull();
          expect(chosen!).toBeCloseTo(best!, 9);
        }
      }),
    );
  });
});
