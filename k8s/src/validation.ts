import * as pulumi from "@pulumi/pulumi";

/**
 * Runs a component's argument check and rethrows any failure as a
 * `ResourceError` on the component, so `pulumi preview` names the component
 * that was misconfigured; the message (field + rule) is unchanged.
 */
export function validateFor(resource: pulumi.Resource, check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new pulumi.ResourceError((error as Error).message, resource);
  }
}
