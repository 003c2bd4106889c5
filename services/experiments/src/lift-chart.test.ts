import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { liftChartSvg, niceTicks } from "./lift-chart.js";
import type { LiftPoint } from "./lift-path.js";

type Vertex = [x: number, y: number];

/** The vertices of an SVG path made of M/L commands with "x,y" pairs (what the chart writes). */
function vertices(d: string): Vertex[] {
  return [...d.matchAll(/([-\d.]+),([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

interface Parsed {
  readonly band: Vertex[];
  readonly estimate: Vertex[];
  readonly texts: string[];
  readonly title: string;
}

/** Checks that `svg` is well-formed XML and pulls out the band, the estimate and the texts. */
function parse(svg: string): Parsed {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    // Elements always as arrays (one path or many), attributes as plain values.
    isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
  }).parse(svg);
  const root = doc.svg[0];
  expect(root.xmlns).toBe("http://www.w3.org/2000/svg");
  const paths: { id: string; d: string }[] = root.path;
  const text = (t: unknown) =>
    String(typeof t === "object" ? (t as { "#text": unknown })["#text"] : t);
  return {
    band: vertices(paths.find((p) => p.id === "band")!.d),
    estimate: vertices(paths.find((p) => p.id === "estimate")!.d),
    texts: root.text.map(text),
    title: text(root.title[0]),
  };
}

/** Every estimate vertex lies between the band's upper and lower edge at the same x. */
function expectBandContainsPath({ band, estimate }: Parsed): void {
  // The band runs along the upper edge left to right, then back along the lower edge.
  const n = estimate.length;
  expect(band).toHaveLength(2 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = estimate[i]!;
    const upper = band[i]!;
    const lower = band[2 * n - 1 - i]!;
    expect(upper[0]).toBe(x);
    expect(lower[0]).toBe(x);
    // SVG y grows downwards: the upper edge has the smaller y.
    expect(upper[1]).toBeLessThanOrEqual(y);
    expect(y).toBeLessThanOrEqual(lower[1]);
  }
}

const point = (observations: number, diff: number, half: number): LiftPoint => ({
  observations,
  controlN: observations / 2,
  treatmentN: observations / 2,
  controlMean: 0.7,
  treatmentMean: 0.7 + diff,
  diff,
  ci: [diff - half, diff + half],
  pValue: 1,
});

const labels = {
  title: "Cumulative lift: exp-1",
  yLabel: "challenger − champion accuracy",
  bandLabel: "always-valid 95% band",
};

describe("liftChartSvg", () => {
  it("writes well-formed SVG whose band contains the estimate, with labelled axes", () => {
    const points = [point(100, 0.2, 0.3), point(200, 0.12, 0.15), point(400, 0.1, 0.05)];
    const svg = liftChartSvg(points, labels);
    const parsed = parse(svg);
    expectBandContainsPath(parsed);
    expect(parsed.estimate).toHaveLength(3);
    expect(parsed.title).toBe(labels.title);
    expect(parsed.texts).toEqual(
      expect.arrayContaining([
        labels.title,
        labels.yLabel,
        "observations (both arms)",
        labels.bandLabel,
        "estimate (last: 0.1)",
        "0",
        "400",
      ]),
    );
  });

  it("escapes labels so any text keeps the document well-formed", () => {
    const svg = liftChartSvg([point(10, 0, 1)], { ...labels, title: `a <b> & "c" 'd'` });
    expect(svg).toContain("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;");
    expect(parse(svg).title).toBe(`a <b> & "c" 'd'`);
  });

  it("keeps any path inside its band and the document well-formed (fuzzed)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            diff: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
            half: fc.double({ min: 0, max: 1e6, noNaN: true }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (draws) => {
          const points = draws.map((d, i) => point(10 * (i + 1), d.diff, d.half));
          const parsed = parse(liftChartSvg(points, labels));
          expectBandContainsPath(parsed);
        },
      ),
    );
  });

  it("rejects what it cannot draw, naming the field", () => {
    expect(() => liftChartSvg([], labels)).toThrow("points: must not be empty");
    expect(() => liftChartSvg([{ ...point(10, 0.5, 0.1), ci: [0, 0.1] }], labels)).toThrow(
      "points[0].ci: must contain diff 0.5, got [0, 0.1]",
    );
    expect(() => liftChartSvg([point(10, Number.NaN, 0.1)], labels)).toThrow(
      "points[0].diff: must be a finite number, got NaN",
    );
  });
});

describe("niceTicks", () => {
  it("uses steps of 1, 2 or 5 × 10^k with matching decimals", () => {
    expect(niceTicks(0, 1000)).toEqual({ ticks: [0, 200, 400, 600, 800, 1000], decimals: 0 });
    expect(niceTicks(-0.031, 0.118)).toEqual({ ticks: [0, 0.05, 0.1], decimals: 2 });
    expect(niceTicks(-0.31, 0.2)).toEqual({ ticks: [-0.2, 0, 0.2], decimals: 1 });
  });
});
