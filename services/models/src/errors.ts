/** A model artifact that cannot be written or does not check out on reading. */
export class ArtifactError extends Error {
  override readonly name: string = "ArtifactError";
}

/**
 * A model, or the input given to it, that breaks a rule of its format: `path` names the part
 * (`model.baseModel.estimators[1].root.left`, `x`), and the message reads `<path> <rule> (got
 * <value>)`.
 */
export class ModelFormatError extends RangeError {
  override readonly name = "ModelFormatError";
  readonly path: string;

  constructor(path: string, rule: string, value: unknown) {
    super(`${path} ${rule} (got ${describeValue(value)})`);
    this.path = path;
  }
}

/**
 * A rejected value as error messages show it: strings quoted, scalars as written, anything else
 * as JSON (or its type when it has none). Training's option errors use it too, so every message
 * about a bad value reads alike.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
