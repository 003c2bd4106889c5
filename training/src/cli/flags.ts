/** Option parsers and defaults the command groups share; each error names the flag and the rule. */
import { type Command, InvalidArgumentError } from "commander";

/** Default directory for run artifacts, relative to the working directory (like the store). */
export const DEFAULT_ARTIFACT_ROOT = ".mlops/artifacts";

/** An integer ≥ `min`. */
export function integer(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) {
      throw new InvalidArgumentError(
        `${flag} must be an integer ≥ ${min} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

/** Any finite number. */
export function number(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${flag} must be a number (got ${JSON.stringify(text)})`);
    }
    return n;
  };
}

/** A subcommand of `parent` that reads a labelled CSV: `--data` and `--label` are required. */
export function datasetCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption("--data <file>", "CSV with a header, the label column and numeric features")
    .requiredOption("--label <column>", "the label column");
}
