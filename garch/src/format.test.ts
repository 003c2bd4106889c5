import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatValue } from "./format.js";

describe("formatValue", () => {
  it.each<[unknown, string]>([
    [Number.NaN, "NaN"],
    [-1, "-1"],
    [true, "true"],
    [undefined, "undefined"],
    [null, "null"],
    ["1", '"1"'],
    [10n, "10n"],
    [[1, 2], "[1,2]"],
    [{ kind: "ar" }, '{"kind":"ar"}'],
    [Object.assign(Object.create(null), { a: 1 }), '{"a":1}'],
    [{ big: 1n }, "[object Object]"],
    [() => 1, "a function"],
  ])("renders %s as %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it("renders a cycle without throwing", () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(formatValue(cyclic)).toBe("[object Object]");
  });

  it("keeps renderings of large values short", () => {
    expect(formatValue(new Array(1000).fill(1.5))).toHaveLength(80);
  });

  it("never throws and always returns a string", () => {
    const anything = fc.anything({
      withBigInt: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withDate: true,
    });
    fc.assert(
      fc.property(anything, (v) => {
        expect(typeof formatValue(v)).toBe("string");
      }),
      { numRuns: 300 },
    );
  });
});
