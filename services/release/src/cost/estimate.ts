/**
 * A monthly estimate of a stack's estate from its config and the pinned price table: one row per
 * billed component, priced at the autoscalers' lower bounds (min) and upper bounds (max), each
 * row naming its price and that price's source. Rows are rounded to cents and the totals are the
 * sums of the rounded rows, so the table always adds up. Usage-driven items (log ingestion, blob
 * storage, serverless request units) are priced at stated assumptions.
 */
import { ESTATE_SKUS, type EstateSizing, GARCH_POD_REQUESTS } from "@mlops/contracts";
import { PRICE_TABLE, type Price, type PriceTable } from "./prices.js";

/** What the estimate reads from a stack's config (see stack-inputs.ts). */
export interface CostInputs extends EstateSizing {
  readonly stack: string;
}

/** Usage the config does not fix. */
export interface CostAssumptions {
  /** Log Analytics ingestion per day (container logs, diagnostics, App Insights), GB. */
  readonly logGbPerDay: number;
  /** Blob storage of the ML workspace's account (artifacts, datasets), GB. */
  readonly storageGb: number;
  /** Request units a serverless Cosmos DB account consumes per month, millions. */
  readonly serverlessMillionRu: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  logGbPerDay: 2,
  storageGb: 100,
  serverlessMillionRu: 50,
};

/** One billed component. Amounts are USD per month. */
export interface CostRow {
  readonly component: string;
  /** What is billed, e.g. `3–12 × Standard_D8ds_v5`. */
  readonly quantity: string;
  /** The price table key and the price it holds. */
  readonly price_key: string;
  readonly unit_price: number;
  readonly price_unit: string;
  /** Region the price's figure is for (may differ from the stack's: see the table's notes). */
  readonly price_region: string;
  readonly source: string;
  readonly retrieved: string;
  /** At the autoscalers' lower bounds. */
  readonly min: number;
  /** At the autoscalers' upper bounds. */
  readonly max: number;
  /** The usage assumption the row rests on, if any. */
  readonly assumption?: string;
}

export interface CostEstimate {
  readonly stack: string;
  readonly region: string;
  readonly currency: "USD";
  readonly hours_per_month: number;
  readonly rows: readonly CostRow[];
  /** Sums of the rows' rounded amounts. */
  readonly total: { readonly min: number; readonly max: number };
  readonly assumptions: CostAssumptions;
  /** What the estate bills that the estimate leaves out. */
  readonly not_priced: readonly string[];
}

/** Billed items the estimate does not price (small or purely traffic-driven). */
export const NOT_PRICED: readonly string[] = [
  "private endpoints and private DNS zones",
  "the AKS load balancer, public IPs and egress bandwidth",
  "node OS disks",
  "managed Prometheus ingestion and queries",
  "Key Vault operations",
  "Cosmos DB storage",
];

/**
 * The vCPU count in an Azure VM size name (`Standard_D8ds_v5` → 8): the number after the family.
 * Azure reads size names without regard to case, and so does this.
 */
export function vcpusOf(vmSize: string): number {
  const match = /^Standard_[A-Z]+(\d+)/i.exec(vmSize);
  if (!match) throw new Error(`cannot read a vCPU count from the VM size ${vmSize}`);
  return Number(match[1]);
}

/** Rounded to cents. */
const cents = (usd: number) => Math.round(usd * 100) / 100;

export function estimateCost(
  inputs: CostInputs,
  assumptions: CostAssumptions = DEFAULT_ASSUMPTIONS,
  table: PriceTable = PRICE_TABLE,
): CostEstimate {
  if (inputs.location !== table.region) {
    throw new Error(
      `azure-native:location ${inputs.location}: the pinned price table prices ${table.region} only (services/release/src/cost/prices.ts)`,
    );
  }
  const hours = table.hoursPerMonth;
  // Keys by their lower case: Azure reads VM size names (`standard_d8ds_v5`) without regard to
  // case, and the stack schema accepts them so; a row names the table's own spelling.
  const keys = new Map(Object.keys(table.prices).map((k) => [k.toLowerCase(), k]));
  const price = (asked: string, what: string): Price & { key: string } => {
    const key = keys.get(asked.toLowerCase()) ?? asked;
    const p = table.prices[key];
    if (!p) {
      throw new Error(
        `${what}: no pinned price ${key} in services/release/src/cost/prices.ts; add it with its source and date`,
      );
    }
    return { ...p, key };
  };
  const rows: CostRow[] = [];
  const add = (
    component: string,
    quantity: string,
    p: Price & { key: string },
    amounts: { min: number; max: number },
    assumption?: string,
  ) =>
    rows.push({
      component,
      quantity,
      price_key: p.key,
      unit_price: p.usd,
      price_unit: p.unit,
      price_region: p.region,
      source: p.source,
      retrieved: p.retrieved,
      min: cents(amounts.min),
      max: cents(amounts.max),
      ...(assumption === undefined ? {} : { assumption }),
    });
  const range = (min: number, max: number) => (min === max ? `${min}` : `${min}–${max}`);

  const tier = price(`aks.tier.${inputs.aks.skuTier}`, "aks.skuTier");
  add("AKS control plane", `1 cluster, ${inputs.aks.skuTier} tier`, tier, {
    min: tier.usd * hours,
    max: tier.usd * hours,
  });

  const { systemPool, userPool } = inputs.aks;
  const system = price(`vm.${systemPool.vmSize}`, "aks.systemPool.vmSize");
  add(
    "AKS system node pool",
    `${range(systemPool.minCount, systemPool.maxCount)} × ${systemPool.vmSize}`,
    system,
    {
      min: systemPool.minCount * system.usd * hours,
      max: systemPool.maxCount * system.usd * hours,
    },
  );

  // The GARCH service runs on the user pool: its pods' CPU requests are that much of the pool's
  // nodes, priced per vCPU, and the pool's row carries the rest.
  const user = price(`vm.${userPool.vmSize}`, "aks.userPool.vmSize");
  const pool = {
    min: userPool.minCount * user.usd * hours,
    max: userPool.maxCount * user.usd * hours,
  };
  const garch = inputs.garch;
  const perVcpuMonth = (user.usd / vcpusOf(userPool.vmSize)) * hours;
  const podVcpus = GARCH_POD_REQUESTS.cpuMillis / 1000;
  // In cents before the split, so that the two rows add up to the pool's rounded cost: rounded
  // apart, a fixed pool's two rows could sum a cent lower at the most GARCH replicas than at
  // the fewest.
  const share = garch
    ? {
        min: cents(Math.min(pool.min, garch.minReplicas * podVcpus * perVcpuMonth)),
        max: cents(Math.min(pool.max, garch.maxReplicas * podVcpus * perVcpuMonth)),
      }
    : { min: 0, max: 0 };
  add(
    "AKS user node pool (prediction API, other pods)",
    `${range(userPool.minCount, userPool.maxCount)} × ${userPool.vmSize}${garch ? ", less the GARCH service's share" : ""}`,
    user,
    { min: cents(pool.min) - share.min, max: cents(pool.max) - share.max },
  );
  if (garch) {
    add(
      "GARCH volatility service",
      `${range(garch.minReplicas, garch.maxReplicas)} pods × ${podVcpus} vCPU of ${userPool.vmSize} (${vcpusOf(userPool.vmSize)} vCPU)`,
      user,
      share,
    );
  }

  const ml = inputs.ml;
  if (ml.vmPriority !== "Dedicated") {
    throw new Error(
      `ml.vmPriority ${ml.vmPriority}: no pinned low-priority price in services/release/src/cost/prices.ts`,
    );
  }
  const mlVm = price(`vm.${ml.vmSize}`, "ml.vmSize");
  add("Azure ML compute cluster", `${range(ml.minNodes, ml.maxNodes)} × ${ml.vmSize}`, mlVm, {
    min: ml.minNodes * mlVm.usd * hours,
    max: ml.maxNodes * mlVm.usd * hours,
  });

  const cosmos = inputs.cosmos;
  if (cosmos.capacity === "autoscale") {
    const ru = price("cosmos.autoscale", "cosmos.capacity");
    // Autoscale bills each hour's peak, never below 10 % of the maximum.
    const floor = cosmos.maxThroughput / 10;
    add("Cosmos DB throughput (autoscale)", `${floor}–${cosmos.maxThroughput} RU/s`, ru, {
      min: (floor / 100) * ru.usd * hours,
      max: (cosmos.maxThroughput / 100) * ru.usd * hours,
    });
  } else {
    const ru = price("cosmos.serverless", "cosmos.capacity");
    const amount = assumptions.serverlessMillionRu * ru.usd;
    add(
      "Cosmos DB request units (serverless)",
      `${assumptions.serverlessMillionRu} million RU`,
      ru,
      { min: amount, max: amount },
      `${assumptions.serverlessMillionRu} million RU a month (--serverless-million-ru)`,
    );
  }

  const days = hours / 24;
  const ingest = price("log.ingestion", "logRetentionDays");
  const perMonth = assumptions.logGbPerDay * days;
  const logAssumption = `${assumptions.logGbPerDay} GB a day (--log-gb-per-day)`;
  add(
    "Log Analytics ingestion",
    `${cents(perMonth)} GB (${ESTATE_SKUS.logAnalytics})`,
    ingest,
    { min: perMonth * ingest.usd, max: perMonth * ingest.usd },
    logAssumption,
  );
  const extraDays = Math.max(0, inputs.logRetentionDays - 31);
  if (extraDays > 0) {
    const retention = price("log.retention", "logRetentionDays");
    // At steady state the workspace holds extraDays of data past the included 31 days.
    const held = assumptions.logGbPerDay * extraDays;
    add(
      "Log Analytics retention",
      `${held} GB held ${extraDays} days past 31`,
      retention,
      { min: held * retention.usd, max: held * retention.usd },
      logAssumption,
    );
  }

  const acr = price(`acr.${ESTATE_SKUS.registry}`, "the registry SKU");
  add("Container registry", `1 ${ESTATE_SKUS.registry} registry`, acr, {
    min: acr.usd * days,
    max: acr.usd * days,
  });

  const blob = price("storage.blob.hot", "the storage account");
  const stored = assumptions.storageGb * blob.usd;
  add(
    "Storage (ML workspace artifacts)",
    `${assumptions.storageGb} GB ${ESTATE_SKUS.storage}`,
    blob,
    { min: stored, max: stored },
    `${assumptions.storageGb} GB stored (--storage-gb)`,
  );

  const sum = (key: "min" | "max") =>
    rows.reduce((total, row) => total + Math.round(row[key] * 100), 0) / 100;
  return {
    stack: inputs.stack,
    region: table.region,
    currency: table.currency,
    hours_per_month: hours,
    rows,
    total: { min: sum("min"), max: sum("max") },
    assumptions,
    not_priced: NOT_PRICED,
  };
}

const usd = (n: number) =>
  n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The estimate for people: the rows, the totals, then what the figures rest on. */
export function formatCostEstimate(estimate: CostEstimate): string {
  const foreign = (row: CostRow) =>
    row.price_region !== estimate.region && row.price_region !== "global";
  const rows = [
    ["COMPONENT", "QUANTITY", "UNIT PRICE", "MIN/MONTH", "MAX/MONTH", "PRICE"],
    ...estimate.rows.map((r) => [
      r.component,
      r.quantity,
      `$${r.unit_price.toPrecision(4)} / ${r.price_unit.split(" (")[0]}`,
      usd(r.min),
      usd(r.max),
      `${r.price_key}${foreign(r) ? " *" : ""}`,
    ]),
    ["TOTAL", "", "", usd(estimate.total.min), usd(estimate.total.max), ""],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const right = new Set([3, 4]);
  const table = rows.map((r) =>
    r
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  const sources = [...new Map(estimate.rows.map((r) => [r.price_key, r])).values()].map(
    (r) => `  ${r.price_key} (${r.price_region}, read ${r.retrieved}): ${r.source}`,
  );
  const assumed = [...new Set(estimate.rows.flatMap((r) => (r.assumption ? [r.assumption] : [])))];
  return `${[
    `Monthly estimate of stack ${estimate.stack} (${estimate.region}), ${estimate.currency}, ${estimate.hours_per_month} h a month; min at the autoscalers' lower bounds, max at their upper bounds`,
    "",
    ...table,
    "",
    `* the price's figure is for another or an unstated region, not ${estimate.region} (see its source)`,
    `Assumed usage: ${assumed.join("; ")}`,
    `Not priced: ${estimate.not_priced.join(", ")}`,
    "Prices (services/release/src/cost/prices.ts):",
    ...sources,
  ].join("\n")}\n`;
}
