/**
 * Fuzzing the public API with bad input: every rejection must be a GarchInputError whose message
 * names the problem (never a raw TypeError or RangeError), and valid random series must give a
 * fit object (converged or flagged), never an exception. Run counts are modest so the file
 * stays fast in CI; fast-check prints the seed of any failure for replay.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ljungBox, residualDiagnostics } from "./diagnostics.js";
import { GarchInputError } from "./errors.js";
import { fit, GarchFit } from "./fit.js";
import { forecast } from "./forecast.js";
import { selectOrder } from "./select.js";
import { simulate } from "./simulate.js";
import { checkSpec, MAX_SERIES_LENGTH } from "./spec.js";
import type { ForecastState, GarchOptions, GarchParams, GarchSpec } from "./types.js";

const DISTS = ["normal", "t", "skewt", "ged"];

/** Runs `call`; passes if it returns or throws a GarchInputError, fails on any other error. */
function returnsOrRejectsCleanly(call: () => unknown): void {
  try {
    call();
  } catch (error) {
    if (!(error instanceof GarchInputError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
  }
}

/** Asserts that `call` throws a GarchInputError with this code and a message matching `message`. */
function rejects(call: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(GarchInputError);
  expect((thrown as GarchInputError).code).toBe(code);
  expect((thrown as GarchInputError).message).toMatch(message);
}

/** A finite, non-constant series of the given lengths, at a random scale. */
function series(minLength: number, maxLength: number): fc.Arbitrary<number[]> {
  return fc
    .tuple(
      fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength, maxLength }),
      fc.integer({ min: -4, max: 4 }),
    )
    .map(([xs, k]) => xs.map((v) => v * 10 ** k))
    .filter((xs) => xs.some((v) => v !== xs[0]));
}

/** Values no order may take: zero or negative (for p), above 20, fractional, NaN, not numbers. */
const badOrder = fc.oneof(
  fc.integer({ min: 21, max: 1_000_000_000 }),
  fc.double({ min: 0.01, max: 19.99, noNaN: true }).filter((v) => !Number.isInteger(v)),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, "1", true),
);

const spec11 = checkSpec({});
const params11: GarchParams = { mu: 0, omega: 0.1, alpha: [0.1], beta: [0.8] };
const state11: ForecastState = { residuals: [1], variances: [1], returns: [] };
const valid = Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 1.9));

describe("fuzz: bad series", () => {
  it("rejects an empty series", () => {
    rejects(() => fit([]), "EMPTY_SERIES", /returns is empty/);
    rejects(() => selectOrder([]), "EMPTY_SERIES", /returns is empty/);
  });

  it("rejects NaN or an infinity anywhere, naming the index", () => {
    fc.assert(
      fc.property(
        series(50, 200),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        (xs, at, bad) => {
          const i = at % xs.length;
          xs[i] = bad;
          rejects(() => fit(xs), "NON_FINITE", new RegExp(`returns\\[${i}\\] is ${String(bad)}`));
          rejects(() => ljungBox([1, 2, ...xs], 1), "NON_FINITE", new RegExp(`x\\[${i + 2}\\]`));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("rejects a series too short for the model, saying how long it must be", () => {
    fc.assert(
      fc.property(series(2, 40), (xs) => {
        rejects(
          () => fit(xs),
          "TOO_SHORT",
          new RegExp(`returns has ${xs.length} observations; this model needs at least`),
        );
      }),
      { numRuns: 30 },
    );
  });

  it("rejects a constant series", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 50, max: 300 }),
        (c, n) => {
          const xs = new Array<number>(n).fill(c);
          rejects(() => fit(xs), "CONSTANT_SERIES", /returns is constant/);
          rejects(() => ljungBox(xs, 5), "CONSTANT_SERIES", /x is constant/);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("takes only arrays and typed arrays as series, checking their length before allocating", () => {
    // An object's own `length` once sized the buffer: -1 threw a RangeError, 2^31 asked for 16 GB.
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -(2 ** 32), max: 2 ** 40 }), fc.double()),
        fc.dictionary(fc.string(), fc.double()),
        (length, rest) => {
          const arrayLike = { ...rest, length };
          rejects(() => fit(arrayLike), "INVALID_OPTION", /^returns must be an array of numbers$/);
          rejects(() => selectOrder(arrayLike), "INVALID_OPTION", /^returns must be an array/);
          rejects(
            () => ljungBox(arrayLike, 1),
            "INVALID_OPTION",
            /^x must be an array of numbers$/,
          );
          rejects(() => residualDiagnostics(arrayLike), "INVALID_OPTION", /^x must be an array/);
        },
      ),
      { numRuns: 50 },
    );
    // A sparse array is an array: its length is what is checked.
    const sparse: number[] = [];
    sparse.length = MAX_SERIES_LENGTH + 1;
    const tooLong = new RegExp(`has ${MAX_SERIES_LENGTH + 1} values; at most ${MAX_SERIES_LENGTH}`);
    rejects(() => fit(sparse), "OUT_OF_RANGE", tooLong);
    rejects(() => selectOrder(sparse), "OUT_OF_RANGE", tooLong);
    rejects(() => ljungBox(sparse, 1), "OUT_OF_RANGE", tooLong);
    expect(fit(Float64Array.from(valid)).logLikelihood).toBe(fit(valid).logLikelihood);
    expect(() => fit(new DataView(new ArrayBuffer(8)) as never)).toThrow(/must be an array/);
  });

  it("never fails with anything but a GarchInputError, whatever the arguments", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        returnsOrRejectsCleanly(() => fit(a as number[], b as GarchOptions));
        returnsOrRejectsCleanly(() => fit(valid, b as GarchOptions));
        returnsOrRejectsCleanly(() => selectOrder(a as number[], b as object));
        returnsOrRejectsCleanly(() => ljungBox(a as number[], b as number));
        returnsOrRejectsCleanly(() => residualDiagnostics(valid, a as number[]));
        returnsOrRejectsCleanly(() => GarchFit.fromJSON(a));
        returnsOrRejectsCleanly(() => simulate(a as GarchSpec, b as GarchParams, 10));
        returnsOrRejectsCleanly(() => simulate(spec11, params11, 10, b as object));
        returnsOrRejectsCleanly(() =>
          forecast(spec11, params11, a as ForecastState, 3, b as object),
        );
        returnsOrRejectsCleanly(() => forecast(spec11, a as GarchParams, state11, 3));
      }),
      { numRuns: 150 },
    );
  });
});

describe("fuzz: impossible orders and options", () => {
  it("rejects impossible p and q, naming the order", () => {
    fc.assert(
      fc.property(badOrder, (p) => {
        rejects(
          () => fit(valid, { p: p as number }),
          "INVALID_ORDER",
          /p \(ARCH order\) must be an integer from 1 to 20/,
        );
        rejects(
          () => selectOrder(valid, { maxP: p as number }),
          "INVALID_ORDER",
          /maxP must be an integer/,
        );
        if (p !== 0) {
          rejects(
            () => fit(valid, { q: p as number }),
            "INVALID_ORDER",
            /q \(GARCH order\) must be an integer from 0 to 20/,
          );
        }
      }),
      { numRuns: 60 },
    );
    rejects(() => fit(valid, { p: 0 }), "INVALID_ORDER", /p \(ARCH order\)/);
  });

  it("rejects unknown distributions and non-positive or non-finite fixed inits", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !DISTS.includes(s)),
        fc.oneof(fc.double({ max: 0 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)),
        (dist, init) => {
          rejects(
            () => fit(valid, { dist: dist as "t" }),
            "INVALID_OPTION",
            /dist must be one of normal, t, skewt, ged/,
          );
          rejects(
            () => fit(valid, { init }),
            "INVALID_OPTION",
            /init as a fixed pre-sample variance must be a finite number > 0/,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  const [spec, params, state] = [spec11, params11, state11];

  it("rejects horizons that are not integers from 1 to 10000", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1000, max: 0 }),
          fc.integer({ min: 10_001, max: 2_000_000_000 }),
          fc.double({ min: 0.5, max: 9999.5, noNaN: true }).filter((v) => !Number.isInteger(v)),
          fc.constantFrom(1e9, Number.NaN, Number.POSITIVE_INFINITY),
        ),
        (horizon) => {
          rejects(
            () => forecast(spec, params, state, horizon),
            "INVALID_OPTION",
            /horizon must be an integer from 1 to 10000/,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1_000_000, max: -1 }),
          fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((v) => !Number.isInteger(v)),
          fc.constantFrom(2 ** 53, Number.NaN, -0.5),
        ),
        (seed) => {
          rejects(
            () => simulate(spec, params, 10, { seed }),
            "INVALID_OPTION",
            /seed must be a non-negative safe integer/,
          );
          rejects(
            () => forecast(spec, params, state, 5, { method: "simulation", seed }),
            "INVALID_OPTION",
            /seed must be a non-negative safe integer/,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("fuzz: valid series always give a fit", () => {
  it("returns a GarchFit, converged or flagged, for random series and valid options", () => {
    const options = fc.record({
      p: fc.integer({ min: 1, max: 2 }),
      q: fc.integer({ min: 0, max: 2 }),
      dist: fc.constantFrom("normal", "t", "skewt", "ged"),
      mean: fc.constantFrom<GarchOptions["mean"]>("zero", "constant", { kind: "ar", lags: 1 }),
      init: fc.constantFrom<GarchOptions["init"]>("fcp", "ewma"),
    }) as fc.Arbitrary<GarchOptions>;
    fc.assert(
      fc.property(series(120, 300), options, (xs, opts) => {
        const fitted = fit(xs, opts);
        expect(fitted).toBeInstanceOf(GarchFit);
        expect(typeof fitted.converged).toBe("boolean");
        expect(typeof fitted.message).toBe("string");
        if (fitted.converged) expect(Number.isFinite(fitted.logLikelihood)).toBe(true);
        const f = forecast(fitted.spec, fitted.params, fitted.forecastState(), 3);
        expect(f.variance.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
        // Diagnostics take the fit's residuals as they come, NaN-padded for an AR mean.
        const d = residualDiagnostics(fitted.standardizedResiduals, [5]);
        expect(d.squaredResiduals[0]!.pValue).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 12 },
    );
    // Each fit takes up to ~0.3 s on i.i.d. noise (no GARCH structure: slow, often flagged).
  }, 30_000);
});
