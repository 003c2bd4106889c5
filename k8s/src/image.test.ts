import { describe, expect, it } from "vitest";
import { assertPinnedImage } from "./image.js";

describe("assertPinnedImage", () => {
  it("accepts digests and immutable tags, registry ports included", () => {
    for (const ok of [
      `acr.example/serving@sha256:${"a".repeat(64)}`,
      "acr.example/serving:1.4.2",
      "acr.example:5000/ml/serving:3f9c2ab",
    ]) {
      expect(() => assertPinnedImage("image", ok)).not.toThrow();
    }
  });

  it("rejects untagged, moving and malformed references", () => {
    expect(() => assertPinnedImage("champion.image", "acr.example/serving")).toThrow(
      'champion.image: "acr.example/serving" must be pinned by digest (@sha256:<64 hex>) or an immutable tag (a version or git sha, not "<none>")',
    );
    expect(() => assertPinnedImage("image", "acr.example:5000/serving")).toThrow('not "<none>"');
    expect(() => assertPinnedImage("image", "acr.example/serving:latest")).toThrow('not "latest"');
    expect(() => assertPinnedImage("image", "acr.example/serving:Stable")).toThrow('not "Stable"');
    expect(() => assertPinnedImage("image", "acr.example/serving@sha256:abc")).toThrow(
      'image: "acr.example/serving@sha256:abc" has a malformed digest; expected @sha256:<64 hex>',
    );
    expect(() => assertPinnedImage("image", "a b:1")).toThrow(
      'image: "a b:1" must be an image reference without whitespace',
    );
  });
});
