/**
 * The one Pulumi mocks harness of the workspace (k8s components and the infra
 * program). Call {@link installMocks} before anything creates a resource:
 * `setMocks` must run before the program is evaluated (see STACK-NOTES,
 * "Pulumi unit tests"). Every registration is recorded in {@link registered}
 * with what a policy or a graph walk needs: inputs, provider, parent,
 * dependencies and the secret outputs the resource declared.
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

/** One resource as the engine would have received it. */
export interface Registered {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`. */
  readonly type: string;
  /** Logical (Pulumi) name. */
  readonly name: string;
  /** Resolved inputs (the Kubernetes object for k8s resources); secrets keep Pulumi's wrapper. */
  // biome-ignore lint/suspicious/noExplicitAny: inputs are arbitrary JSON.
  readonly inputs: Record<string, any>;
  /** Provider reference (`urn::id`), empty for providers and components. */
  readonly provider: string;
  /** Outputs the resource asked the engine to keep secret (`additionalSecretOutputs`). */
  readonly additionalSecretOutputs: readonly string[];
  /** `type::name` of the parent, undefined at the root. */
  readonly parent: string | undefined;
  /**
   * `type::name` of every resource this one waits for: explicit `dependsOn`
   * and the resources whose outputs its inputs read (Pulumi's implicit
   * dependencies). A component here stands for all of its children.
   */
  readonly dependencies: readonly string[];
  /**
   * For a read of an existing object (`Resource.get`), the id it reads; undefined for the
   * resources the program manages.
   */
  readonly readsId?: string;
}

/** Everything registered since the last {@link resetRegistered}, in order. */
export const registered: Registered[] = [];

/** Forgets what was registered, between independent programs. */
export function resetRegistered(): void {
  registered.length = 0;
}

/** `type::name`, the key a resource has in {@link Registered.parent} and `dependencies`. */
export const keyOf = (type: string, name: string): string => `${type}::${name}`;

/** What the options hook of `registerResource` knows that mocks do not. */
interface RegistrationExtras {
  additionalSecretOutputs: readonly string[];
  parent: string | undefined;
  dependencies: Promise<string[]>;
}
const extras = new Map<string, RegistrationExtras>();
const resourceKeys = new WeakMap<pulumi.Resource, string>();

/** The resources an input value reads outputs of, found by walking it. */
async function outputResources(
  value: unknown,
  seen = new Set<unknown>(),
): Promise<pulumi.Resource[]> {
  if (value === null || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  if (pulumi.Output.isInstance(value)) {
    // The SDK's own dependency set of an Output (what it sends the engine as dependencies).
    const output = value as unknown as {
      resources(): Set<pulumi.Resource>;
      allResources?: () => Promise<Set<pulumi.Resource>>;
    };
    return [...(output.allResources ? await output.allResources() : output.resources())];
  }
  if (pulumi.Resource.isInstance(value)) return [value];
  const nested = await Promise.all(Object.values(value).map((v) => outputResources(v, seen)));
  return nested.flat();
}

/** Resolves `dependsOn` (an Input of one resource or a list) to resources. */
async function explicitDependencies(opts: pulumi.ResourceOptions): Promise<pulumi.Resource[]> {
  const dependsOn = await new Promise<unknown>((resolve) =>
    (pulumi.output(opts.dependsOn) as pulumi.Output<unknown>).apply(resolve),
  );
  const list = dependsOn === undefined ? [] : Array.isArray(dependsOn) ? dependsOn : [dependsOn];
  return list.filter((r): r is pulumi.Resource => pulumi.Resource.isInstance(r));
}

/**
 * Mocks see inputs but not resource options. The SDK registers every resource
 * through these CommonJS exports (`registerResource`, and `readResource` for a
 * `.get`), so wrapping them records the options (secret outputs, parent,
 * dependencies) per resource before the mock is asked.
 */
const runtimeResource = createRequire(import.meta.url)("@pulumi/pulumi/runtime/resource") as {
  registerResource: (...args: unknown[]) => unknown;
  readResource: (...args: unknown[]) => unknown;
};

function recordOptions(
  res: pulumi.Resource,
  parent: pulumi.Resource | undefined,
  type: string,
  name: string,
  props: pulumi.Inputs,
  opts: pulumi.CustomResourceOptions | undefined,
): void {
  const key = keyOf(type, name);
  resourceKeys.set(res, key);
  const keysOf = (resources: pulumi.Resource[]) =>
    resources.map((r) => resourceKeys.get(r)).filter((k): k is string => k !== undefined);
  extras.set(key, {
    additionalSecretOutputs: opts?.additionalSecretOutputs ?? [],
    parent: parent === undefined ? undefined : resourceKeys.get(parent),
    dependencies: Promise.all([explicitDependencies(opts ?? {}), outputResources(props)]).then(
      ([explicit, implicit]) => [...new Set(keysOf([...explicit, ...implicit]))],
    ),
  });
}

type Registration = [pulumi.Resource, pulumi.Resource | undefined, string, string, ...unknown[]];

/** `original`, recording the options of each resource it registers (props and opts at `at`). */
function recording(
  original: (...args: unknown[]) => unknown,
  at: { readonly props: number; readonly opts: number },
): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const [res, parent, type, name] = args as Registration;
    recordOptions(
      res,
      parent,
      type,
      name,
      args[at.props] as pulumi.Inputs,
      args[at.opts] as pulumi.CustomResourceOptions,
    );
    return original(...args);
  };
}
// registerResource(res, parent, t, name, custom, remote, newDependency, props, opts, …) and
// readResource(res, parent, t, name, props, opts, …), as @pulumi/pulumi's runtime declares them.
runtimeResource.registerResource = recording(runtimeResource.registerResource, {
  props: 7,
  opts: 8,
});
runtimeResource.readResource = recording(runtimeResource.readResource, { props: 4, opts: 5 });

/** What a mock answers for one resource: its id and output state. */
export interface MockState {
  readonly id: string;
  readonly state: Record<string, unknown>;
}

/** How a test domain completes registrations and answers invokes. */
export interface MockOptions {
  /** Pulumi project name. */
  readonly project: string;
  /** Stack name. */
  readonly stack: string;
  /**
   * Id and state of a new resource. Every output the program reads must be in
   * the state: a missing one stays unknown and its `.apply` never runs.
   * @default the inputs echoed, with `name` set to the logical name and id `<name>-id`
   */
  readonly resource?: (args: pulumi.runtime.MockResourceArgs) => MockState;
  /**
   * Result of an invoke, by token.
   * @default the invoke's own arguments
   */
  readonly call?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;
}

const echo = (args: pulumi.runtime.MockResourceArgs): MockState => ({
  id: `${args.name}-id`,
  state: { name: args.name, ...args.inputs },
});

/**
 * Records dependencies once they resolve: a registration becomes visible in
 * {@link registered} only with them, so {@link settle} waits for both.
 */
let pending = 0;

/** Routes this process's resource registrations and invokes to the mocks. */
export function installMocks(options: MockOptions): void {
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const key = keyOf(args.type, args.name);
        const extra = extras.get(key);
        pending += 1;
        void (extra?.dependencies ?? Promise.resolve([])).then((dependencies) => {
          registered.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            provider: args.provider ?? "",
            additionalSecretOutputs: extra?.additionalSecretOutputs ?? [],
            parent: extra?.parent,
            dependencies,
            // A registration carries its import id here, empty unless imported (none are).
            ...(args.id ? { readsId: args.id } : {}),
          });
          pending -= 1;
        });
        return (options.resource ?? echo)(args);
      },
      call: (args) => (options.call ?? ((a) => a.inputs))(args),
    },
    options.project,
    options.stack,
    false,
  );
}

/** Resolves an Output's value. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/**
 * Waits until no new registrations arrive for a few event-loop turns: child
 * resources whose inputs depend on other outputs register asynchronously.
 */
export async function settle(): Promise<void> {
  let quiet = 0;
  let seen = -1;
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    quiet = registered.length === seen && pending === 0 ? quiet + 1 : 0;
    seen = registered.length;
  }
}
