/**
 * The pinned price table `mlops cost` estimates with: Azure retail (pay-as-you-go, Linux, USD)
 * list prices, each with the unit it is quoted in, the region its figure is for, where it was
 * read and when. Prices move: re-read every figure from the Azure Retail Prices API
 * (`serviceName`/`armSkuName`/`armRegionName` filters) or the pricing pages before a budget
 * rests on it, and update `retrieved`.
 *
 * Honest about its gaps: from the machine this table was assembled on (2026-12-06) the Retail
 * Prices API was unreachable and no West Europe figure could be found for the VM sizes, Log
 * Analytics or Blob storage; those rows carry the region their figure is for (East US list
 * prices, or unspecified) and the estimate marks them. West Europe list prices are typically
 * somewhat higher than East US for compute.
 */

/** One price and its provenance. */
export interface Price {
  /** USD per `unit`. */
  readonly usd: number;
  readonly unit: string;
  /**
   * Region the figure is quoted for: an ARM region name, "global" (the same everywhere) or
   * "unspecified" (the source does not say).
   */
  readonly region: string;
  /** Where the figure was read. */
  readonly source: string;
  /** When it was read (ISO date). */
  readonly retrieved: string;
}

/** The table: the region it prices, its currency and its prices by key. */
export interface PriceTable {
  /** The stack region the table is for. */
  readonly region: string;
  readonly currency: "USD";
  /** Hours in a billing month, as Azure's calculator counts them. */
  readonly hoursPerMonth: number;
  readonly prices: Readonly<Record<string, Price>>;
}

const READ = "2026-12-06";

/** Pay-as-you-go Linux VM price per hour, by ARM size name. */
const vm = (usd: number, source: string): Price => ({
  usd,
  unit: "hour",
  region: "eastus",
  source,
  retrieved: READ,
});

const VM_TABLE_SOURCE =
  "East US pay-as-you-go Linux list price as quoted in public cost tables built from the Azure Retail Prices API (found with the code search of this machine, 2026-12-06); no West Europe figure was reachable";

export const PRICE_TABLE: PriceTable = {
  region: "westeurope",
  currency: "USD",
  hoursPerMonth: 730,
  prices: {
    "aks.tier.Free": {
      usd: 0,
      unit: "cluster-hour",
      region: "global",
      source:
        "learn.microsoft.com/azure/aks/free-standard-pricing-tiers (Free tier: no cluster-management fee)",
      retrieved: READ,
    },
    "aks.tier.Standard": {
      usd: 0.1,
      unit: "cluster-hour",
      region: "global",
      source:
        "github.com/mattrobinsonsre/terrapod/issues/997 (2026-07-22: Standard tier $0.10/h, $73/month, checked against the Retail Prices API); techmarmot.com AKS pricing-tier analysis ($0.10 per cluster/hour)",
      retrieved: READ,
    },
    "vm.Standard_D4ds_v5": vm(0.226, VM_TABLE_SOURCE),
    "vm.Standard_D8ds_v5": vm(0.452, VM_TABLE_SOURCE),
    "vm.Standard_D4s_v3": vm(
      0.192,
      "East US pay-as-you-go Linux: retailPrice 0.192 in Azure Retail Prices API responses for armSkuName Standard_D4s_v3 quoted in public code (several independent copies, 2026-12-06)",
    ),
    "cosmos.autoscale": {
      usd: 0.012,
      unit: "100 RU/s-hour (highest RU/s of the hour, at least 10 % of the maximum)",
      region: "unspecified",
      source:
        "cloud-horizons.com/blog/cosmos-db-the-rus-vs-storage-tradeoff (2026-05-08: autoscale $0.012 per 100 max RU/s per hour, 1.5 x manual; bills the hour's peak with a 10 % floor)",
      retrieved: READ,
    },
    "cosmos.serverless": {
      usd: 0.25,
      unit: "million RU",
      region: "unspecified",
      source:
        "github.com/AzureCosmosDB/cosmosdb-agent-kit/pull/255 (2026-09-09: serverless ~$0.25 for 1M RU)",
      retrieved: READ,
    },
    "log.ingestion": {
      usd: 2.76,
      unit: "GB ingested (Analytics logs, pay-as-you-go)",
      region: "unspecified",
      source:
        "github.com/Sleepyreaper/agent-nextgen/issues/30 (2026-03-03: PerGB2018 ~$2.76/GB ingested)",
      retrieved: READ,
    },
    "log.retention": {
      usd: 0.13,
      unit: "GB-month past 31 days",
      region: "unspecified",
      source:
        "github.com/infracost/infracost/pull/1367 (log data retention 30 GB → $3.90); 31 days included: github.com/MicrosoftDocs/azure-docs/issues/18745 quoting the Azure Monitor pricing page",
      retrieved: READ,
    },
    "acr.Basic": {
      usd: 0.167,
      unit: "registry-day",
      region: "unspecified",
      source:
        "learn.microsoft.com/azure/container-registry/container-registry-skus ($0.167 per day)",
      retrieved: READ,
    },
    "acr.Premium": {
      usd: 50 / 30,
      unit: "registry-day",
      region: "unspecified",
      source:
        "github.com/mattrobinsonsre/terrapod/issues/1017 (2026-07-22: flat daily fee, Premium ~$50/month over 30 days)",
      retrieved: READ,
    },
    "storage.blob.hot": {
      usd: 0.0208,
      unit: "GB-month (hot block blob, first 50 TB; LRS figure)",
      region: "unspecified",
      source:
        "github.com/mattrobinsonsre/terrapod/issues/997 (2026-07-22: Standard hot LRS 5 TB $104/month = $0.0208/GB-month); the account is ZRS, which costs more than LRS: a lower bound",
      retrieved: READ,
    },
  },
};
