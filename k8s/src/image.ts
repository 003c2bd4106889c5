/**
 * Image references the serving Deployments accept: pinned by digest, or by a
 * tag that the pipeline never moves (the git sha or the model version), so a
 * pod restart can never pull different bits than the rollout tested. The tag
 * rule is contracts' (the stack config's image tags obey the same one).
 */
import { isImmutableImageTag } from "@mlops/contracts";

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** Throws unless `image` is digest-pinned or carries an immutable-looking tag. */
export function assertPinnedImage(field: string, image: string): void {
  if (/\s/.test(image) || image.length === 0) {
    throw new Error(`${field}: "${image}" must be an image reference without whitespace`);
  }
  if (DIGEST.test(image)) return;
  if (image.includes("@")) {
    throw new Error(`${field}: "${image}" has a malformed digest; expected @sha256:<64 hex>`);
  }
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  const tag = colon === -1 ? "" : image.slice(colon + 1);
  if (!isImmutableImageTag(tag)) {
    throw new Error(
      `${field}: "${image}" must be pinned by digest (@sha256:<64 hex>) or an immutable tag (a version or git sha, not "${tag || "<none>"}")`,
    );
  }
}
