import type * as pulumi from "@pulumi/pulumi";
import { type BuiltInRole, grantRole } from "./roles.js";

/** Principals that receive one role on a component's resource, keyed by a short role-holder name. */
export type Grantees = Readonly<Record<string, pulumi.Input<string>>>;

/**
 * Grants `role` on `scope` to every grantee, naming each assignment `${name}-<holder>`; all
 * grantees are managed identities, hence the ServicePrincipal type. Returns the assignments.
 */
export function grantToAll(
  name: string,
  scope: pulumi.Input<string>,
  role: BuiltInRole,
  grantees: Grantees,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  return Object.entries(grantees).map(([holder, principalId]) =>
    grantRole(
      `${name}-${holder}`,
      { scope, principalId, role, principalType: "ServicePrincipal" },
      { parent },
    ),
  );
}
