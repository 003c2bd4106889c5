import type * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { type BuiltInRole, grantRole } from "./roles.js";

/** Principals that receive one role on a component's resource, keyed by a short role-holder name. */
export type Grantees = Readonly<Record<string, pulumi.Input<string>>>;

/**
 * Grants `role` on `scope` to the managed identity `principalId`: typed ServicePrincipal, so Azure
 * skips the directory look-up that fails while a fresh identity is still replicating.
 */
export function grantToIdentity(
  name: string,
  scope: pulumi.Input<string>,
  role: BuiltInRole,
  principalId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
  return grantRole(name, { scope, principalId, role, principalType: "ServicePrincipal" }, opts);
}

/**
 * Grants `role` on `scope` to every grantee (managed identities), naming each assignment
 * `${name}-<holder>`. Returns the assignments.
 */
export function grantToAll(
  name: string,
  scope: pulumi.Input<string>,
  role: BuiltInRole,
  grantees: Grantees,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  return Object.entries(grantees).map(([holder, principalId]) =>
    grantToIdentity(`${name}-${holder}`, scope, role, principalId, { parent }),
  );
}
