import * as pulumi from "@pulumi/pulumi";
import { type CapturedResource, captured, dependenciesSettled, installMocks } from "./mocks.js";

/** The program module: its exports are the stack outputs. */
export type Program = typeof import("../index.js");

/** Resolves an Output's value. */
export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Resolves once no new resource has been registered for a few ticks of the event loop. */
async function settled(): Promise<void> {
  let last = -1;
  while (last !== captured.length) {
    last = captured.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs the whole program under mocks as stack `stack` with `config` (as `stackFileConfig` reads
 * it) and waits until every resource is registered. Once per test file: vitest gives each file
 * its own module registry, so each file evaluates the program afresh.
 */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
): Promise<{ program: Program; outputs: Record<string, unknown> }> {
  installMocks(stack);
  pulumi.runtime.setAllConfig(config);
  const program: Program = await import("../index.js");
  const exported = Object.entries(program).filter(([, v]) => pulumi.Output.isInstance(v)) as [
    string,
    pulumi.Output<unknown>,
  ][];
  const outputs = Object.fromEntries(
    await Promise.all(exported.map(async ([k, v]) => [k, await resolved(v)] as const)),
  );
  await settled();
  await dependenciesSettled();
  return { program, outputs };
}

/** Every captured resource of type token `type`. */
export const ofType = (type: string): CapturedResource[] => captured.filter((r) => r.type === type);

/** The one captured resource of `type` named `name`; throws when there is none. */
export function one(type: string, name: string): CapturedResource {
  const found = captured.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}
