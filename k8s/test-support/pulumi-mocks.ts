/**
 * Pulumi mocks that record every registered resource. Import this module
 * before any module that creates resources: `setMocks` must run before the
 * program is evaluated (see STACK-NOTES, "Pulumi unit tests").
 */
import * as pulumi from "@pulumi/pulumi";

/** One resource as the engine would have received it. */
export interface Registered {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Resolved inputs (the Kubernetes object for k8s resources). */
  // biome-ignore lint/suspicious/noExplicitAny: inputs are arbitrary Kubernetes JSON.
  readonly inputs: Record<string, any>;
  /** Provider reference (`urn::id`), empty for providers themselves. */
  readonly provider: string;
}

/** Everything registered since the last {@link resetRegistered}. */
export const registered: Registered[] = [];

/** Forgets what was registered, between independent programs. */
export function resetRegistered(): void {
  registered.length = 0;
}

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs,
        provider: args.provider ?? "",
      });
      // Echo the inputs as state so `metadata.name` and friends resolve.
      return { id: `${args.name}-id`, state: { name: args.name, ...args.inputs } };
    },
    call: (args) => args.inputs,
  },
  "mlops",
  "test",
  false,
);

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
    quiet = registered.length === seen ? quiet + 1 : 0;
    seen = registered.length;
  }
}
