/**
 * The part of a Pulumi stack's config that releases move: the serving block (`<project>:serving`)
 * with the champion/challenger image tags and model references, the canary weight and the
 * experiment id. Read from the stack file (`Pulumi.<stack>.yaml`) and its project file
 * (`Pulumi.yaml`, which names the config namespace), validated with zod.
 *
 * Nothing imports the Pulumi program (`infra/`), so these key names are written here once; a test
 * reads the real `Pulumi.prod.yaml` so that a rename on either side fails it.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { NameSchema, PinnedModelRefTextSchema, parseOrThrow } from "@mlops/contracts";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** The stack-config object (under the project's namespace) that holds the serving settings. */
export const SERVING_CONFIG_KEY = "serving";

/**
 * Container image tags as the registry accepts them (OCI distribution spec), minus the moving
 * `latest`: a release must name an immutable build.
 */
export const ImageTagSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
    error:
      "must be an image tag: 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
  })
  .refine((tag) => tag !== "latest", { error: "must name an immutable build, not 'latest'" });

/** The serving settings a release reads and writes; other keys of the block are left alone. */
export const ServingReleaseSchema = z.object({
  championImageTag: ImageTagSchema,
  challengerImageTag: ImageTagSchema,
  championModel: PinnedModelRefTextSchema,
  challengerModel: PinnedModelRefTextSchema,
  /** Percent of traffic the canary Ingress sends to the challenger. */
  canaryWeight: z.number().int().min(0).max(100),
  experimentId: NameSchema,
});
export type ServingRelease = z.infer<typeof ServingReleaseSchema>;
/** A setting of the serving block a release may change. */
export type ServingField = keyof ServingRelease;

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
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  return parseYaml(text);
}

/** Reads `file` (`Pulumi.<stack>.yaml`) and the `Pulumi.yaml` beside it. */
export async function readStackTarget(file: string): Promise<StackTarget> {
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
  const key = `${project}:${SERVING_CONFIG_KEY}`;
  const serving = parseOrThrow(ServingReleaseSchema, config[key] ?? {}, `${basename(file)} ${key}`);
  return { file, project, stack, serving };
}
