import type * as pulumi from "@pulumi/pulumi";

/** The tags every resource of the platform carries, so cost and ownership reports can group by them. */
export interface PlatformTags {
  /** The Pulumi project that manages the resource. */
  project: string;
  /** The stack's environment (prod, staging, …). */
  environment: string;
  /** The team or person answerable for the resource. */
  owner: string;
  /** Extra tags a resource type requires (App Insights web tests need a hidden-link tag). */
  [key: string]: string;
}

/** Where a component's resources go; every Azure component takes these. */
export interface PlacementArgs {
  /** Resource group that holds the component's resources. */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region of the component's regional resources. */
  location: pulumi.Input<string>;
  /** Tags applied to every taggable resource of the component. */
  tags: PlatformTags;
}

/** The placement part of a component's args, to spread into each resource's args. */
export function placementOf(args: PlacementArgs): PlacementArgs {
  return { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
}
