import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ljungBox, residualDiagnostics } from "./diagnostics.js";
import { GarchInputError } from "./errors.js";

/*
 * Reference values from R 4 (stats::Box.test), produced by:
 *
 *   set.seed(20240611)
 *   x <- round(as.numeric(arima.sim(list(ar = 0.3), n = 120)), 4)
 *   y <- round(rnorm(120), 4)
 *   for (s in c("x", "y")) for (m in c(1, 5, 10, 20)) for (d in c(0, 1)) if (d < m) {
 *     b <- Box.test(get(s), lag = m, type = "Ljung-Box", fitdf = d)
 *     cat(sprintf('["%s", %d, %d, %.17g, %.17g],\n', s, m, d, b$statistic, b$p.value))
 *   }
 *   for (m in c(10, 20)) { b <- Box.test(x^2, lag = m, type = "Ljung-Box"); ... }
 */
/** The fixture's numbers are text, as R printed them. */
function parse(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}
const X = parse(`
  -0.9398 -0.2549 -0.6778 -1.6185 0.2951 1.5107 -0.5081 -2.5546 -0.8957 0.1067 -0.6259
  -0.2363 -0.9698 -0.2006 -0.1388 0.0650 -1.0979 0.0366 1.3554 -0.0058 -0.4088 -0.0372
  0.7144 0.4449 -0.8203 -0.9446 0.4484 1.6625 0.0445 1.5804 0.6735 1.1573 -1.1132 0.3453
  0.2912 0.8316 -0.0217 1.1935 1.4908 0.3875 1.3297 1.4027 -0.7793 -0.5282 -1.6067
  -1.3848 -1.1451 -0.5221 -0.5345 -0.1210 0.2329 -0.0275 -0.9912 0.7625 -1.5978 -1.3473
  -0.5997 0.7717 -0.6627 -0.0501 -1.0706 -1.8712 -0.5238 -1.7609 -2.2522 -0.7565 -0.6144
  0.3623 1.1473 -2.1005 -0.6774 0.8111 -0.9438 1.0333 0.2177 0.4983 0.6931 1.3870 1.7967
  1.2121 -0.3304 -0.7590 -0.3393 -0.4530 -1.5646 -2.2587 0.0477 -1.0334 1.6886 0.1791
  1.4020 1.3549 -0.9989 0.9967 -0.2523 -1.1064 -0.9827 -1.5696 -0.5681 0.1172 -0.9019
  -0.4893 -0.1061 -1.8089 0.8352 -0.0935 0.1249 0.1790 0.1702 -0.1825 0.8469 1.2114
  -0.6662 0.7337 1.1098 -0.7097 -1.1281 0.1364 1.4350 2.5517
`);
const Y = parse(`
  -0.4017 0.7303 -0.0825 0.8316 -0.1443 -0.8522 0.9223 -0.1988 -0.0187 -1.3367 0.9479
  -1.1912 -2.1473 -0.1606 0.6626 -0.5017 1.0750 0.4121 0.0475 -1.0686 0.7849 -1.4029
  0.0888 -0.8597 -0.5425 1.0927 1.2785 2.1142 -1.4895 -1.4495 1.3576 2.0640 -0.8112
  1.3545 0.0144 0.5802 1.2284 -0.3271 -0.0755 1.4437 0.6866 0.4596 -0.5610 1.7306 -0.3125
  -1.2906 1.4466 0.1622 0.4982 1.0855 0.8630 0.3254 0.4691 -0.4490 -0.4984 -0.3621
  -0.0216 -0.0400 0.7859 0.6567 -0.7498 -1.0017 1.1836 -0.8092 0.2909 -0.0544 -0.3842
  0.2081 -1.1432 0.1820 0.3940 0.8774 1.8596 0.7296 -0.4436 -0.4748 1.8104 -1.0149 0.1079
  -0.7614 -0.3423 -0.4783 -2.3323 0.1059 -0.1035 0.4763 -0.2725 -1.2088 0.8337 0.3874
  1.5908 1.3862 -0.3999 0.2192 1.3286 -0.7165 -0.2314 -0.9206 -1.7213 -2.1504 -1.1586
  -0.0100 -0.4979 1.5682 -1.8250 -0.3530 -1.4333 -0.3891 -0.1701 1.6566 -0.4852 -0.3632
  -0.0573 -0.6636 0.0539 -1.1372 0.9594 -0.3223 1.5185 -0.6636
`);
const SERIES: Record<string, number[]> = { x: X, y: Y, "x^2": X.map((v) => v * v) };
/** [series, lag, fitdf, statistic, p-value] */
const R_BOX_TEST: [string, number, number, number, number][] = [
  ["x", 1, 0, 10.794131369170604, 0.0010182238049568637],
  ["x", 5, 0, 15.460555799327281, 0.0085654800683134802],
  ["x", 5, 1, 15.460555799327281, 0.0038354032582815778],
  ["x", 10, 0, 18.638230110662597, 0.045105721510379282],
  ["x", 10, 1, 18.638230110662597, 0.028450823602615194],
  ["x", 20, 0, 24.301742127151552, 0.22945990171121255],
  ["x", 20, 1, 24.301742127151552, 0.18483138144982847],
  ["y", 1, 0, 0.013074556162078378, 0.90896508405223242],
  ["y", 5, 0, 0.42949885215935135, 0.99447801103915479],
  ["y", 5, 1, 0.42949885215935135, 0.97999128105913291],
  ["y", 10, 0, 1.6227821428579901, 0.9984993283488921],
  ["y", 10, 1, 1.6227821428579901, 0.9961292783651885],
  ["y", 20, 0, 9.5130328085307507, 0.976167502732741],
  ["y", 20, 1, 9.5130328085307507, 0.96395395702717201],
  ["x^2", 10, 0, 3.2822504988073717, 0.9739800770757282],
  ["x^2", 20, 0, 9.275076689739242, 0.97949661969753543],
];

describe("ljungBox", () => {
  it("reads the whole fixture", () => {
    expect([X.length, Y.length]).toEqual([120, 120]);
    expect([...X, ...Y].every(Number.isFinite)).toBe(true);
  });

  it.each(R_BOX_TEST)("%s, lag %i, fitdf %i matches R's Box.test", (name, lag, dof, q, p) => {
    const r = ljungBox(SERIES[name]!, lag, { dof });
    expect(r.statistic).toBeCloseTo(q, 10);
    expect(Math.abs(r.pValue - p) / p).toBeLessThan(1e-8);
    expect(r).toMatchObject({ lags: lag, dof });
  });

  it("skips leading NaN, as an AR fit pads its residuals", () => {
    const padded = [Number.NaN, Number.NaN, ...X];
    expect(ljungBox(padded, 5)).toEqual(ljungBox(X, 5));
  });

  it("accepts typed arrays and leaves its input untouched", () => {
    const x = Float64Array.from(Y);
    expect(ljungBox(x, 10).statistic).toBeCloseTo(ljungBox(Y, 10).statistic, 12);
    expect(Array.from(x)).toEqual(Y);
  });

  it("is invariant to shifting and scaling the series", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (shift, scale) => {
          const q = ljungBox(
            X.map((v) => shift + scale * v),
            10,
          ).statistic;
          expect(q).toBeCloseTo(ljungBox(X, 10).statistic, 6);
        },
      ),
      { numRuns: 50 },
    );
  });

  it.each<[string, () => unknown, string, RegExp]>([
    ["an empty series", () => ljungBox([], 1), "EMPTY_SERIES", /x has no values/],
    [
      "an all-NaN series",
      () => ljungBox([Number.NaN, Number.NaN], 1),
      "EMPTY_SERIES",
      /x has no values/,
    ],
    ["a NaN inside", () => ljungBox([1, 2, Number.NaN, 3], 1), "NON_FINITE", /x\[2\] is NaN/],
    [
      "an infinite value",
      () => ljungBox([1, Number.POSITIVE_INFINITY, 3], 1),
      "NON_FINITE",
      /x\[1\] is Infinity/,
    ],
    ["a constant series", () => ljungBox([2, 2, 2, 2], 2), "CONSTANT_SERIES", /x is constant/],
    [
      "lags 0",
      () => ljungBox(X, 0),
      "INVALID_OPTION",
      /lags must be an integer from 1 to n - 1 = 119/,
    ],
    ["lags = n", () => ljungBox(X, 120), "INVALID_OPTION", /lags must be an integer/],
    ["lags 2.5", () => ljungBox(X, 2.5), "INVALID_OPTION", /lags must be an integer/],
    [
      "dof = lags",
      () => ljungBox(X, 5, { dof: 5 }),
      "INVALID_OPTION",
      /dof must be an integer from 0 to lags - 1 = 4/,
    ],
    ["dof -1", () => ljungBox(X, 5, { dof: -1 }), "INVALID_OPTION", /dof must be an integer/],
    [
      "not an array",
      () => ljungBox(null as unknown as number[], 1),
      "INVALID_OPTION",
      /x must be an array/,
    ],
  ])("rejects %s", (_, call, code, message) => {
    expect(call).toThrow(GarchInputError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as GarchInputError).code).toBe(code);
    }
  });
});

describe("residualDiagnostics", () => {
  it("runs Ljung–Box on z and on z^2 at lags 10 and 20 by default, with dof 0", () => {
    const d = residualDiagnostics([Number.NaN, ...X]);
    const fromR = (name: string, lag: number) =>
      R_BOX_TEST.find((r) => r[0] === name && r[1] === lag && r[2] === 0)!;
    expect(d.residuals.map((r) => r.lags)).toEqual([10, 20]);
    for (const [i, lag] of [10, 20].entries()) {
      expect(d.residuals[i]!.statistic).toBeCloseTo(fromR("x", lag)[3], 10);
      expect(d.squaredResiduals[i]!.statistic).toBeCloseTo(fromR("x^2", lag)[3], 10);
      expect(d.squaredResiduals[i]!.dof).toBe(0);
    }
  });

  it("takes other lags", () => {
    expect(residualDiagnostics(Y, [1, 5]).residuals.map((r) => r.lags)).toEqual([1, 5]);
  });

  it("rejects an empty list of lags and bad lags", () => {
    expect(() => residualDiagnostics(Y, [])).toThrow(/lags must be a non-empty array/);
    expect(() => residualDiagnostics(Y, [500])).toThrow(/lags must be an integer from 1 to n - 1/);
  });
});
