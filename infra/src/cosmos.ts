import type { CosmosCapacity, CosmosContainerSpec } from "@mlops/contracts";
import * as cosmosdb from "@pulumi/azure-native/cosmosdb/index.js";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import type { Grantees } from "./grants.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { createPrivateEndpoints, type PrivateLinkArgs } from "./private-link.js";
import { COSMOS_DATA_CONTRIBUTOR_ROLE } from "./roles.js";

export interface CosmosStoreArgs extends PlacementArgs {
  /** Account name (3–44 characters, globally unique; see names.ts). */
  accountName: string;
  /** Database the store uses (from `@mlops/contracts`). */
  databaseName: string;
  /** Containers the store expects (from `@mlops/contracts`): ids, partition keys, TTLs. */
  containers: readonly CosmosContainerSpec[];
  /** Serverless, or provisioned autoscale throughput shared by the database. */
  capacity: CosmosCapacity;
  /** Principals that read and write documents (serving pods, training jobs). */
  dataContributors: Grantees;
  /** Private endpoint placement; when set, the account refuses public traffic. */
  privateLink?: PrivateLinkArgs;
}

/**
 * How long a principal has existed before Cosmos DB is asked to give it a data role.
 *
 * A `SqlResourceSqlRoleAssignment` for a just-created managed identity can fail with "principal
 * ID was not found in the AAD tenant" (pulumi/pulumi-azure-native#2816, open, labelled
 * awaiting-upstream). Ordinary role assignments avoid the directory look-up with `principalType:
 * ServicePrincipal` (roles.ts); Cosmos DB's SQL role assignments take no principal type. In that
 * thread, retrying the failed Cosmos call with a five-minute timeout was reported as not enough
 * "in most cases", and ordinary assignments for the same identities never failed: so the program
 * never makes the first Cosmos call for a principal younger than this. The delay starts when the
 * principal id exists (its identity created) and runs again only when the principal changes; on a
 * first deploy it runs beside the account's own creation, which takes longer, so it costs no time.
 * Five minutes is a judgement, not a documented bound: should an assignment still fail, `pulumi
 * up` again succeeds (infra/README.md, "First deploy").
 */
export const PRINCIPAL_REPLICATION_DELAY = "5m";

/** The document endpoint of an account, as the SDKs expect it. */
export function cosmosEndpoint(accountName: string): string {
  return `https://${accountName}.documents.azure.com:443/`;
}

/**
 * The Cosmos DB (NoSQL) account behind `@mlops/store`: Entra ID only (local key auth off), the
 * database and containers of the shared layout with TTL where the layout sets one, and the
 * built-in Data Contributor SQL role for the workload identities, scoped to the database.
 */
export class CosmosStore extends pulumi.ComponentResource {
  /** Account resource id. */
  readonly accountId: pulumi.Output<string>;
  /** Document endpoint (`https://<account>.documents.azure.com:443/`). */
  readonly endpoint: pulumi.Output<string>;
  /** Database name. */
  readonly databaseName: pulumi.Output<string>;
  /**
   * What a workload needs before it reads or writes: the database, every container (data-plane
   * roles cannot create them) and the data role assignments.
   */
  readonly dataPlaneReady: readonly pulumi.Resource[];

  constructor(name: string, args: CosmosStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:CosmosStore", name, {}, opts);
    const placement = placementOf(args);
    const serverless = args.capacity.capacity === "serverless";

    const account = new cosmosdb.DatabaseAccount(
      `${name}-account`,
      {
        ...placement,
        accountName: args.accountName,
        kind: "GlobalDocumentDB",
        databaseAccountOfferType: "Standard",
        locations: [
          { locationName: args.location, failoverPriority: 0, isZoneRedundant: !serverless },
        ],
        consistencyPolicy: { defaultConsistencyLevel: "Session" },
        capabilities: serverless ? [{ name: "EnableServerless" }] : [],
        disableLocalAuth: true,
        // Control-plane changes (containers, throughput) only through ARM, never with data-plane keys.
        disableKeyBasedMetadataWriteAccess: true,
        minimalTlsVersion: "Tls12",
        publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
        backupPolicy: { type: "Continuous", continuousModeProperties: { tier: "Continuous7Days" } },
      },
      { parent: this },
    );
    if (args.privateLink) {
      createPrivateEndpoints(name, account.id, ["Sql"], args.privateLink, placement, this);
    }

    const database = new cosmosdb.SqlResourceSqlDatabase(
      `${name}-db`,
      {
        ...placement,
        accountName: account.name,
        databaseName: args.databaseName,
        resource: { id: args.databaseName },
        // Serverless accounts reject throughput settings; autoscale is shared by all containers.
        options:
          args.capacity.capacity === "autoscale"
            ? { autoscaleSettings: { maxThroughput: args.capacity.maxThroughput } }
            : undefined,
      },
      { parent: this },
    );

    const ready: pulumi.Resource[] = [database];
    for (const spec of args.containers) {
      const container = new cosmosdb.SqlResourceSqlContainer(
        `${name}-${spec.id}`,
        {
          ...placement,
          accountName: account.name,
          databaseName: database.name,
          containerName: spec.id,
          resource: {
            id: spec.id,
            partitionKey: { paths: [spec.partitionKeyPath], kind: "Hash", version: 2 },
            defaultTtl: spec.defaultTtlSeconds,
          },
        },
        { parent: this },
      );
      ready.push(container);
    }

    const databaseScope = pulumi.interpolate`${account.id}/dbs/${args.databaseName}`;
    for (const [holder, principalId] of Object.entries(args.dataContributors)) {
      // Cosmos DB is first asked about the principal once it has had time to replicate (see
      // PRINCIPAL_REPLICATION_DELAY); a new principal id starts a new delay.
      const replicated = new time.Sleep(
        `${name}-data-${holder}-replication`,
        { createDuration: PRINCIPAL_REPLICATION_DELAY, triggers: { principalId } },
        { parent: this },
      );
      const assignment = new cosmosdb.SqlResourceSqlRoleAssignment(
        `${name}-data-${holder}`,
        {
          resourceGroupName: args.resourceGroupName,
          accountName: account.name,
          principalId,
          roleDefinitionId: pulumi.interpolate`${account.id}/sqlRoleDefinitions/${COSMOS_DATA_CONTRIBUTOR_ROLE}`,
          scope: databaseScope,
        },
        { parent: this, dependsOn: [database, replicated] },
      );
      ready.push(assignment);
    }
    this.dataPlaneReady = ready;

    this.accountId = account.id;
    this.endpoint = account.documentEndpoint;
    this.databaseName = database.name;
    this.registerOutputs({
      accountId: this.accountId,
      endpoint: this.endpoint,
      databaseName: this.databaseName,
    });
  }
}
