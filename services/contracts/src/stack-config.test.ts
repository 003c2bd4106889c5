import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrThrow } from "./errors.js";
import {
  ImageTagSchema,
  isImmutableImageTag,
  ServingReleaseSchema,
  VmSizeSchema,
} from "./stack-config.js";

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

// Azure docs, "Azure virtual machine sizes naming conventions"
// (learn.microsoft.com/azure/virtual-machines/vm-naming-conventions): Standard_, family, vCPUs,
// constrained cores, feature letters, accelerator, version.
describe("VM sizes", () => {
  it("takes the names Azure gives sizes, and refuses anything else", () => {
    for (const size of [
      "Standard_D4ds_v5",
      "Standard_D4s_v3",
      "Standard_B2s",
      "Standard_E4-2s_v3",
      "Standard_NC24ads_A100_v4",
      "Standard_DS2_v2_Promo",
      "Standard_M416ms_v2",
      "STANDARD_DS3_V2",
      "standard_d4ds_v5",
    ]) {
      expect(VmSizeSchema.safeParse(size).success, size).toBe(true);
    }
    for (const size of [
      "",
      "D4ds_v5",
      "Basic_A1",
      "Standard_D4ds v5",
      "Standard_D4ds_v5 ",
      "Standard_Dds_v5",
      "big",
    ]) {
      expect(() => parseOrThrow(VmSizeSchema, size, "vmSize"), size).toThrow(
        "vmSize is invalid: (root): must be an Azure VM size name such as Standard_D4ds_v5",
      );
    }
  });
});
