/**
 * Reading the part of a Pulumi stack's config that releases move: the serving block
 * (`<project>:serving`) from the stack file (`Pulumi.<stack>.yaml`), under the namespace its
 * project file (`Pulumi.yaml`) names, validated with the contracts schema the Pulumi program
 * (`infra`) parses the same block with. A test reads the real `Pulumi.prod.yaml`.
 */
import { basename, dirname, join } from "node:path";
import {
  NameSchema,
  parseOrThrow,
  SERVING_CONFIG_KEY,
  type ServingRelease,
  ServingReleaseSchema,
} from "@mlops/contracts";
import { fileErrorReason, readBoundedText } from "@mlops/contracts/files";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** The stack a config file belongs to and the settings read from it. */
export interface StackTarget {
  /** Path of the stack config file as given. */
  readonly file: string;
  /** Pulumi project name: the config namespace (`<project>:serving`). */
  readonly project: string;
  /** Stack name, from the file name `Pulumi.<stack>.yaml`. */
  readonly stack: string;
  readonly serving: ServingRelease;
}

const ProjectFileSchema = z.object({ name: NameSchema });
const StackFileSchema = z.object({ config: z.record(z.string(), z.unknown()) });

/** `Pulumi.prod.yaml` → `prod`; anything else is not a stack config file. */
export function stackNameOf(file: string): string {
  const match = /^Pulumi\.([^.]+(?:\.[^.]+)*)\.ya?ml$/.exec(basename(file));
  if (!match) {
    throw new Error(`--stack-config: ${file} must be named Pulumi.<stack>.yaml`);
  }
  return match[1]!;
}

async function readYaml(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readBoundedText(file);
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${fileErrorReason(error)}`);
  }
  try {
    // Merge keys (`<<: *base`) as Pulumi reads them: its YAML parser merges them, so a program sees
    // the merged object (pulumi/pulumi#6480); YAML 1.2 would keep `<<` as a plain key.
    return parseYaml(text, { merge: true });
  } catch (error) {
    // The parser's own message quotes the line with a caret under the column.
    throw new Error(`the ${what} ${file} is not valid YAML: ${(error as Error).message.trimEnd()}`);
  }
}

/** A stack file's config as its YAML holds it: `<namespace>:<key>` → value. */
export interface StackFile {
  readonly file: string;
  /** Pulumi project name: the config namespace of the program's own keys. */
  readonly project: string;
  /** Stack name, from the file name `Pulumi.<stack>.yaml`. */
  readonly stack: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Reads `file` (`Pulumi.<stack>.yaml`) and the project name from the `Pulumi.yaml` beside it. */
export async function readStackFile(file: string): Promise<StackFile> {
  const stack = stackNameOf(file);
  const project = parseOrThrow(
    ProjectFileSchema,
    await readYaml(join(dirname(file), "Pulumi.yaml"), "Pulumi project file"),
    "Pulumi.yaml",
  ).name;
  const config = parseOrThrow(
    StackFileSchema,
    await readYaml(file, "stack config"),
    basename(file),
  ).config;
  return { file, project, stack, config };
}

/** Reads `file` (`Pulumi.<stack>.yaml`) and the `Pulumi.yaml` beside it. */
export async function readStackTarget(file: string): Promise<StackTarget> {
  const { project, stack, config } = await readStackFile(file);
  const key = `${project}:${SERVING_CONFIG_KEY}`;
  const serving = parseOrThrow(ServingReleaseSchema, config[key] ?? {}, `${basename(file)} ${key}`);
  return { file, project, stack, serving };
}
