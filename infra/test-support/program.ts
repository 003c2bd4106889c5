import { assignmentOf, parseServingConfig } from "@mlops/contracts";
import { sharedBeforeAll } from "@mlops/contracts/test-support/hooks";
import { promiseOf, type Registered, registered, settle } from "@mlops/k8s/test-support";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import type { PolicyResource } from "../policy/rules.js";
import { installAzureMocks } from "./azure-mocks.js";

/** The program module: its exports are the stack outputs. */
export type Program = typeof import("../src/index.js");

/** What running the program gives: the module, and its stack outputs resolved. */
export interface ProgramRun {
  readonly program: Program;
  readonly outputs: Record<string, unknown>;
}

/** How long rendering the whole estate under mocks may take, on a busy machine too. */
const RENDER_TIMEOUT_MS = 60_000;

/** Runs the program (`runProgram`) once before a test file's tests; the run, once it has happened. */
export function renderBeforeAll(stack: string, config: Record<string, string>): ProgramRun {
  const run = sharedBeforeAll(`the ${stack} program`, () => runProgram(stack, config), {
    timeoutMs: RENDER_TIMEOUT_MS,
  });
  return {
    get program() {
      return run().program;
    },
    get outputs() {
      return run().outputs;
    },
  };
}

/**
 * Runs the whole program under mocks as stack `stack` with `config` (as `stackFileConfig` reads
 * it) and waits until every resource is registered. Once per test file: vitest gives each file
 * its own module registry, so each file evaluates the program afresh.
 */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
): Promise<ProgramRun> {
  installAzureMocks(stack);
  pulumi.runtime.setAllConfig(config);
  const program: Program = await import("../src/index.js");
  const exported = Object.entries(program).filter(([, v]) => pulumi.Output.isInstance(v)) as [
    string,
    pulumi.Output<unknown>,
  ][];
  const outputs = Object.fromEntries(
    await Promise.all(exported.map(async ([k, v]) => [k, await promiseOf(v)] as const)),
  );
  await settle();
  return { program, outputs };
}

/** Every registered resource of type token `type`. */
export const ofType = (type: string): Registered[] => registered.filter((r) => r.type === type);

/** The one registered resource of `type` named `name`; throws when there is none. */
export function one(type: string, name: string): Registered {
  const found = registered.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

/** The registered resources as the policy pack sees them. */
export const policyResources = (): PolicyResource[] =>
  registered.map((r) => ({
    type: r.type,
    name: r.name,
    props: r.inputs,
    dependencies: r.dependencies,
  }));

/** The plain env values of the container of the Deployment whose object name is `name`. */
function deploymentEnv(name: string): Record<string, string> {
  const deployment = ofType("kubernetes:apps/v1:Deployment").find(
    (r) => r.inputs.metadata.name === name,
  );
  if (!deployment) throw new Error(`no Deployment named ${name}`);
  const env: { name: string; value?: string }[] =
    deployment.inputs.spec.template.spec.containers[0].env;
  return Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

/**
 * What the prediction API's pods are told assigns their arm (`MLOPS_TRAFFIC_SPLIT`) and what their
 * serving config makes them record with each prediction, per arm; and the GARCH service's variable.
 */
function servingAssignments() {
  const arm = (variant: string) => {
    const env = deploymentEnv(`serving-${variant}`);
    return { trafficSplit: env.MLOPS_TRAFFIC_SPLIT, ...assignmentOf(parseServingConfig(env)) };
  };
  return {
    champion: arm("champion"),
    challenger: arm("challenger"),
    garch: deploymentEnv("garch").MLOPS_TRAFFIC_SPLIT ?? null,
  };
}

/**
 * Expects both arms' pods of the prediction API to be told that `split` assigns their arm, at
 * `weight`, and the GARCH service, which has no arms, nothing.
 */
export function expectArmsAssignedBy(split: "gateway" | "nginx-canary", weight: number): void {
  const arm = { trafficSplit: split, assignment: `${split}-weight`, challenger_weight: weight };
  expect(servingAssignments()).toEqual({ champion: arm, challenger: arm, garch: null });
}
