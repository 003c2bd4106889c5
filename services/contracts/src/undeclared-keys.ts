/**
 * Keys a config value holds that its schema does not declare, at any depth. zod drops them
 * silently, so a misspelt key (`serving.canaryWieght`, `netwrok`) would leave its setting at the
 * default with nothing said; the stack config refuses them instead.
 */
import type { z } from "zod";

/** zod's definition of a schema: its kind and the parts it is built of. */
interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly element?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly left?: z.ZodType;
  readonly right?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The paths (key by key) of `value` that `schema` does not declare. */
export function undeclaredKeys(schema: z.ZodType, value: unknown, at: string[] = []): string[][] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
      return undeclaredKeys(def.innerType!, value, at);
    case "pipe":
      return undeclaredKeys(def.in!, value, at);
    case "array":
      return Array.isArray(value)
        ? value.flatMap((item, i) => undeclaredKeys(def.element!, item, [...at, String(i)]))
        : [];
    case "union": {
      // The option the value is read as (one that takes it), else the one that declares the most
      // of it: a key another option declares is still dropped by this one.
      const taking = def.options!.filter((option) => option.safeParse(value).success);
      let best: string[][] | undefined;
      for (const option of taking.length > 0 ? taking : def.options!) {
        const left = undeclaredKeys(option, value, at);
        if (best === undefined || left.length < best.length) best = left;
      }
      return best ?? [];
    }
    case "intersection":
      return undeclaredKeys(def.left!, value, at).filter((path) =>
        undeclaredKeys(def.right!, value, at).some((other) => other.join() === path.join()),
      );
    case "object": {
      if (!isRecord(value)) return [];
      const shape = def.shape!;
      return Object.entries(value).flatMap(([key, item]) =>
        Object.hasOwn(shape, key)
          ? undeclaredKeys(shape[key]!, item, [...at, key])
          : [[...at, key]],
      );
    }
    default:
      return [];
  }
}
