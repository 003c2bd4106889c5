/**
 * Reading a Pulumi stack file (`Pulumi.<stack>.yaml`) under the namespace its project file
 * (`Pulumi.yaml`) names: first the whole file is checked with the stack config schema the Pulumi
 * program (`infra`) parses it with (`@mlops/contracts`), so nothing here goes on from a stack
 * `pulumi up` would refuse; then the part releases move, the serving block
 * (`<project>:serving`). A test reads the real `Pulumi.prod.yaml`.
 */
import { basename, dirname, join } from "node:path";
import {
  checkStackFile,
  configKeyOf,
  enclosingPath,
  issueRule,
  NameSchema,
  parseOrThrow,
  readConfigValues,
  SERVING_CONFIG_KEY,
  type ServingRelease,
  ServingReleaseSchema,
  StackConfigError,
  type StackFileConfig,
  stackFileSource,
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
  readonly config: StackFileConfig;
}

/**
 * Reads `file` (`Pulumi.<stack>.yaml`) and the project name from the `Pulumi.yaml` beside it,
 * and refuses a file the Pulumi program would refuse, with the program's message after the file.
 */
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
  try {
    checkStackFile(config, project);
  } catch (error) {
    if (error instanceof StackConfigError) {
      throw new StackConfigError(`${file}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return { file, project, stack, config };
}

/**
 * The keys of `schema` (`location` is `azure-native:location`, the rest the project's own) read
 * from `stack` as Pulumi hands them to the program, each decoded as the program's schema types
 * its key (`@mlops/contracts` stack-parse.ts), so what passed `readStackFile` reads as the
 * program reads it. Errors name the key (`<project>:<key>`); an encrypted value is named as
 * such, since `reader` cannot read it without the stack's key.
 */
export function readStackKeys<S extends z.ZodObject>(
  stack: StackFile,
  schema: S,
  reader: string,
): z.output<S> {
  const { file, project, config } = stack;
  const { source, encrypted } = stackFileSource(config, project);
  const result = schema.safeParse(readConfigValues(source, Object.keys(schema.shape)), {
    reportInput: true,
  });
  if (result.success) return result.data;
  const lines = new Set<string>();
  for (const issue of result.error.issues) {
    const path = issue.path.map(String);
    const hidden = enclosingPath(path, encrypted);
    lines.add(
      hidden
        ? `  ${configKeyOf(project, hidden)}: is encrypted (secure:), and ${reader} cannot read it without the stack's key; set it in plain text to use ${reader}`
        : `  ${configKeyOf(project, path)}: ${issueRule(issue)}`,
    );
  }
  throw new StackConfigError(
    `${file}: ${reader} cannot read the stack config:\n${[...lines].join("\n")}`,
  );
}

/** The serving block releases move, as the program reads it. */
const ServingKeysSchema = z.object({ [SERVING_CONFIG_KEY]: ServingReleaseSchema });

/** Reads `file` (`Pulumi.<stack>.yaml`) and the `Pulumi.yaml` beside it. */
export async function readStackTarget(file: string): Promise<StackTarget> {
  const stackFile = await readStackFile(file);
  const { project, stack } = stackFile;
  const serving = readStackKeys(stackFile, ServingKeysSchema, "mlops release")[SERVING_CONFIG_KEY];
  return { file, project, stack, serving };
}
