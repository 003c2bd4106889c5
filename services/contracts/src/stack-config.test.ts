import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrThrow } from "./errors.js";
import { ImageTagSchema, isImmutableImageTag, ServingReleaseSchema } from "./stack-config.js";

const serving = {
  championImageTag: "1.4.2",
  challengerImageTag: "3f9c2ab",
  championModel: "classifier@12",
  challengerModel: "classifier@challenger",
  canaryWeight: 10,
  experimentId: "classifier-12-vs-13",
};

describe("image tags", () => {
  it("accepts versions and git shas, and refuses moving tags in any case", () => {
    for (const tag of ["1.4.2", "3f9c2ab", "v2_rc.1", "20261123"]) {
      expect(ImageTagSchema.safeParse(tag).success, tag).toBe(true);
    }
    for (const tag of ["latest", "Stable", "MAIN", "nightly"]) {
      expect(() => parseOrThrow(ImageTagSchema, tag, "tag")).toThrow(
        "tag is invalid: (root): must be an immutable image tag (a version or git sha), not a moving one like latest",
      );
    }
    for (const tag of ["", ".hidden", "-x", "a b", "x".repeat(129)]) {
      expect(() => parseOrThrow(ImageTagSchema, tag, "tag")).toThrow(/must be an image tag: 1-128/);
    }
  });

  it("the schema and isImmutableImageTag (what k8s checks images with) agree on every string", () => {
    const tagChars = fc.constantFrom(..."aZ09_.-:@ L".split(""));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: tagChars, maxLength: 12 }),
          fc.constantFrom("latest", "LATEST", "edge", "1.0"),
        ),
        (tag) => {
          expect(ImageTagSchema.safeParse(tag).success).toBe(isImmutableImageTag(tag));
        },
      ),
    );
  });
});

describe("the stack's serving block", () => {
  it("takes the release fields and names each broken one", () => {
    expect(ServingReleaseSchema.parse(serving)).toEqual(serving);
    expect(() =>
      parseOrThrow(
        ServingReleaseSchema,
        { ...serving, championModel: "classifier", canaryWeight: 101, experimentId: "-x" },
        "serving",
      ),
    ).toThrow(
      /championModel: must pin a version or alias.*; canaryWeight: .*<=100; experimentId: must be 1-64/,
    );
  });
});
