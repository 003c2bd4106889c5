/**
 * Azure regions this estate cannot be deployed to. Every node pool spreads over availability
 * zones 1, 2 and 3 (infra/src/aks-cluster-body.ts), and a region without zones refuses such a
 * pool when the cluster is created, after the network, the vault and the workspace already exist.
 *
 * Source: Microsoft's "Azure regions list" (learn.microsoft.com/azure/reliability/regions-list,
 * the MicrosoftDocs azure-docs article reliability/regions-list.md of 2025-03-21): the public
 * regions it lists without availability zone support, by programmatic name. A region the list
 * does not name (a new one) is not refused: Azure answers for it at deploy time. A region that
 * gains zones leaves this list, with the date of the article that says so.
 */
export const REGIONS_WITHOUT_ZONES: ReadonlySet<string> = new Set([
  "australiacentral",
  "australiacentral2",
  "australiasoutheast",
  "brazilsoutheast",
  "canadaeast",
  "francesouth",
  "germanynorth",
  "koreasouth",
  "northcentralus",
  "norwaywest",
  "southafricawest",
  "southindia",
  "switzerlandwest",
  "uaecentral",
  "ukwest",
  "westcentralus",
  "westindia",
  "westus",
]);
