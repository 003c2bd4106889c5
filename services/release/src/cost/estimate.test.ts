import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROD_STACK_FILE } from "../../test-support/fixtures.js";
import {
  type CostEstimate,
  type CostInputs,
  DEFAULT_ASSUMPTIONS,
  estimateCost,
  formatCostEstimate,
  vcpusOf,
} from "./estimate.js";
import { PRICE_TABLE } from "./prices.js";
import { readCostInputs } from "./stack-inputs.js";

/** The rows' amounts in integer cents, summed: what the totals must equal. */
function rowSums(estimate: CostEstimate) {
  const sum = (key: "min" | "max") =>
    estimate.rows.reduce((total, r) => total + Math.round(r[key] * 100), 0);
  return { min: sum("min"), max: sum("max") };
}

const cents = (usd: number) => Math.round(usd * 100);

describe("mlops cost's estimate of the prod stack", () => {
  it("prices every component of the stack file, rows adding up to the totals", async () => {
    const inputs = await readCostInputs(PROD_STACK_FILE);
    expect(inputs).toMatchObject({ stack: "prod", location: "westeurope" });
    const estimate = estimateCost(inputs);
    expect(rowSums(estimate)).toEqual({
      min: cents(estimate.total.min),
      max: cents(estimate.total.max),
    });
    expect(estimate.rows.map((r) => r.component)).toEqual([
      "AKS control plane",
      "AKS system node pool",
      "AKS user node pool (prediction API, other pods)",
      "GARCH volatility service",
      "Azure ML compute cluster",
      "Cosmos DB throughput (autoscale)",
      "Log Analytics ingestion",
      "Log Analytics retention",
      "Container registry",
      "Storage (ML workspace artifacts)",
    ]);
    // Each row names its price, and that price is in the table with a source and a date.
    for (const row of estimate.rows) {
      const price = PRICE_TABLE.prices[row.price_key];
      expect(price, row.price_key).toBeDefined();
      expect(row.unit_price).toBe(price!.usd);
      expect(row.source).toBe(price!.source);
      expect(row.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.min).toBeLessThanOrEqual(row.max);
    }
  });

  it("computes each row from the stack's bounds and the pinned prices", async () => {
    const rows = Object.fromEntries(
      estimateCost(await readCostInputs(PROD_STACK_FILE)).rows.map((r) => [r.component, r]),
    );
    const h = PRICE_TABLE.hoursPerMonth;
    const p = (key: string) => PRICE_TABLE.prices[key]!.usd;
    expect(rows["AKS control plane"]).toMatchObject({ min: 73, max: 73 });
    // Pulumi.prod.yaml: system pool 3–5 × Standard_D4ds_v5, ML 0–8 × Standard_D4s_v3.
    expect(cents(rows["AKS system node pool"]!.min)).toBe(cents(3 * p("vm.Standard_D4ds_v5") * h));
    expect(cents(rows["AKS system node pool"]!.max)).toBe(cents(5 * p("vm.Standard_D4ds_v5") * h));
    expect(rows["Azure ML compute cluster"]!.min).toBe(0);
    expect(cents(rows["Azure ML compute cluster"]!.max)).toBe(
      cents(8 * p("vm.Standard_D4s_v3") * h),
    );
    // Autoscale 4000 RU/s: at least 400 billed every hour.
    expect(cents(rows["Cosmos DB throughput (autoscale)"]!.min)).toBe(
      cents(4 * p("cosmos.autoscale") * h),
    );
    // The GARCH service's 2–10 pods reserve 1–5 of the user pool's 8-vCPU nodes' cores, and
    // the user pool's row is what is left: together they are the pool's 3–12 nodes.
    const perVcpu = (p("vm.Standard_D8ds_v5") / 8) * h;
    expect(cents(rows["GARCH volatility service"]!.min)).toBe(cents(1 * perVcpu));
    expect(cents(rows["GARCH volatility service"]!.max)).toBe(cents(5 * perVcpu));
    const pool = (n: number) => cents(n * p("vm.Standard_D8ds_v5") * h);
    const user = rows["AKS user node pool (prediction API, other pods)"]!;
    expect(
      Math.abs(cents(user.min) + cents(rows["GARCH volatility service"]!.min) - pool(3)),
    ).toBeLessThanOrEqual(1);
    expect(
      Math.abs(cents(user.max) + cents(rows["GARCH volatility service"]!.max) - pool(12)),
    ).toBeLessThanOrEqual(1);
    // 90 days of retention: 59 days past the included 31, at the assumed 2 GB a day.
    expect(rows["Log Analytics retention"]!.quantity).toBe("118 GB held 59 days past 31");
    expect(rows["Log Analytics ingestion"]!.assumption).toMatch(/--log-gb-per-day/);
  });

  it("prints a table whose rows name their price, with the totals and every source", async () => {
    const text = formatCostEstimate(estimateCost(await readCostInputs(PROD_STACK_FILE)));
    expect(text).toMatch(/^Monthly estimate of stack prod \(westeurope\), USD, 730 h a month/);
    expect(text).toMatch(/\nTOTAL\s+[\d,]+\.\d\d\s+[\d,]+\.\d\d\n/);
    expect(text).toMatch(/GARCH volatility service\s+2–10 pods × 0.5 vCPU of Standard_D8ds_v5/);
    for (const key of [
      "aks.tier.Standard",
      "vm.Standard_D8ds_v5",
      "cosmos.autoscale",
      "acr.Premium",
    ]) {
      expect(text).toContain(`  ${key} (`);
    }
  });

  it("refuses what it cannot price, naming the config key", async () => {
    const inputs = await readCostInputs(PROD_STACK_FILE);
    expect(() => estimateCost({ ...inputs, location: "eastasia" })).toThrow(
      /azure-native:location eastasia: the pinned price table prices westeurope only/,
    );
    expect(() =>
      estimateCost({
        ...inputs,
        aks: { ...inputs.aks, userPool: { ...inputs.aks.userPool, vmSize: "Standard_M416ms_v2" } },
      }),
    ).toThrow(/aks\.userPool\.vmSize: no pinned price vm\.Standard_M416ms_v2/);
    expect(() =>
      estimateCost({ ...inputs, ml: { ...inputs.ml, vmPriority: "LowPriority" } }),
    ).toThrow(/ml\.vmPriority LowPriority/);
  });

  it("reads the vCPU count from a VM size name", () => {
    expect(["Standard_D4ds_v5", "Standard_D8ds_v5", "Standard_D4s_v3"].map(vcpusOf)).toEqual([
      4, 8, 4,
    ]);
    // Azure reads size names without regard to case.
    expect(["standard_d8ds_v5", "STANDARD_D4S_V3"].map(vcpusOf)).toEqual([8, 4]);
    expect(() => vcpusOf("Basic")).toThrow(/vCPU count/);
  });

  it("adds up for any priced stack shape (property)", () => {
    const vm = fc.constantFrom("Standard_D4ds_v5", "Standard_D8ds_v5", "Standard_D4s_v3");
    const poolOf = fc
      .tuple(vm, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }))
      .map(([vmSize, minCount, extra]) => ({ vmSize, minCount, maxCount: minCount + extra }));
    const stacks: fc.Arbitrary<CostInputs> = fc.record({
      stack: fc.constant("any"),
      location: fc.constant("westeurope"),
      aks: fc.record({
        skuTier: fc.constantFrom("Free" as const, "Standard" as const),
        systemPool: poolOf,
        userPool: poolOf,
      }),
      ml: fc
        .tuple(vm, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 20 }))
        .map(([vmSize, minNodes, extra]) => ({
          vmSize,
          vmPriority: "Dedicated" as const,
          minNodes,
          maxNodes: Math.max(1, minNodes + extra),
          idleTimeBeforeScaleDown: "PT15M",
        })),
      cosmos: fc.oneof(
        fc.constant({ capacity: "serverless" as const }),
        fc
          .integer({ min: 1, max: 100 })
          .map((k) => ({ capacity: "autoscale" as const, maxThroughput: k * 1000 })),
      ),
      logRetentionDays: fc.integer({ min: 30, max: 730 }),
      garch: fc.option(
        fc
          .tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 80 }))
          .map(([min, extra]) => ({
            host: "garch.example.com",
            namespace: "garch",
            imageTag: "1.0.0",
            model: "g@1",
            minReplicas: min,
            maxReplicas: min + extra,
            cpuUtilizationPercent: 70,
          })),
        { nil: undefined },
      ),
    });
    const usage = fc.record({
      logGbPerDay: fc.double({ min: 0, max: 500, noNaN: true }),
      storageGb: fc.double({ min: 0, max: 100_000, noNaN: true }),
      serverlessMillionRu: fc.double({ min: 0, max: 10_000, noNaN: true }),
    });
    fc.assert(
      fc.property(stacks, usage, (inputs, assumptions) => {
        const estimate = estimateCost(inputs, assumptions);
        expect(rowSums(estimate)).toEqual({
          min: cents(estimate.total.min),
          max: cents(estimate.total.max),
        });
        // A row may fall from min to max (the user pool's remainder as the GARCH service grows
        // on a fixed pool); the totals never do, and no amount is negative.
        for (const r of estimate.rows) {
          expect(r.min).toBeGreaterThanOrEqual(0);
          expect(r.max).toBeGreaterThanOrEqual(0);
        }
        expect(estimate.total.min).toBeLessThanOrEqual(estimate.total.max);
      }),
      {
        numRuns: 300,
        examples: [
          [
            // A fixed user pool whose two rows, rounded apart, summed a cent lower at 7 GARCH
            // replicas than at 6.
            {
              stack: "any",
              location: "westeurope",
              aks: {
                skuTier: "Free",
                systemPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 1 },
                userPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 1 },
              },
              ml: {
                vmSize: "Standard_D4ds_v5",
                vmPriority: "Dedicated",
                minNodes: 1,
                maxNodes: 1,
                idleTimeBeforeScaleDown: "PT15M",
              },
              cosmos: { capacity: "serverless" },
              logRetentionDays: 30,
              garch: {
                host: "garch.example.com",
                namespace: "garch",
                imageTag: "1.0.0",
                model: "g@1",
                minReplicas: 6,
                maxReplicas: 7,
                cpuUtilizationPercent: 70,
              },
            },
            { logGbPerDay: 0, storageGb: 0, serverlessMillionRu: 0 },
          ],
        ],
      },
    );
    expect(DEFAULT_ASSUMPTIONS.logGbPerDay).toBeGreaterThan(0);
  });
});
