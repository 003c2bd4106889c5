import {
  GARCH_PUBLIC_PATHS,
  MODEL_LOADED_LOG,
  parseServingConfig,
  REQUEST_LOG,
} from "@mlops/contracts";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { CPU_PERCENT, FAILED_HEALTH_CHECKS, MEMORY_PERCENT } from "./alert-rules.js";
import { dashboardTitles } from "./dashboard.js";

/**
 * The GARCH volatility service and the monitoring around it, on the prod stack under mocks: its
 * Kubernetes objects, the node CPU and memory alerts, the failed-health-check alert, the action
 * group's receivers, the saved queries and the dashboard.
 */
renderBeforeAll("prod", stackFileConfig());

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are arbitrary JSON.
const props = (type: string, name: string): any => one(type, name).inputs;

describe("the GARCH service on the prod stack", () => {
  it("deploys the serving image in garch mode in its own namespace, on its own host", () => {
    const deployment = props("kubernetes:apps/v1:Deployment", "garch-deployment");
    expect(deployment.metadata.namespace).toBe("garch");
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toMatch(/\.azurecr\.io\/prediction-api:1\.4\.2$/);
    // The plain variables (the connection string among them: with Entra-only ingestion it grants nothing).
    const env = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const config = parseServingConfig(env);
    expect(config.mode).toBe("garch");
    expect(config.garchModel).toEqual({ name: "dem2gbp", selector: "alias", alias: "champion" });
    expect(config.store.kind).toBe("cosmos");

    const hpa = props("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "garch-hpa").spec;
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([2, 10]);
    expect(hpa.metrics[0].resource.target.averageUtilization).toBe(70);
    // Its own route on the stack's Gateway, HTTPS with its own certificate, the contract's paths.
    const route = props("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "garch-route-route");
    expect(route.metadata.namespace).toBe("garch");
    expect(route.spec.hostnames).toEqual(["garch.mlops.contoso.com"]);
    expect(
      route.spec.rules.flatMap((r: { matches: { path: { value: string } }[] }) =>
        r.matches.map((m) => m.path.value),
      ),
    ).toEqual(expect.arrayContaining(GARCH_PUBLIC_PATHS.map((p) => p.path)));
    const gateway = props("kubernetes:gateway.networking.k8s.io/v1:Gateway", "garch-route-gateway");
    expect(JSON.stringify(gateway.spec.listeners)).toContain(
      "kv-contoso-certs.vault.azure.net/certificates/garch-mlops-contoso-com",
    );
  });

  it("has managed Prometheus scrape its pods as well as the prediction API's", () => {
    const [settings] = ofType("kubernetes:core/v1:ConfigMap");
    expect((settings!.inputs.data as Record<string, string>)["pod-annotation-based-scraping"]).toBe(
      'podannotationnamespaceregex = "serving|garch"',
    );
  });
});

describe("monitoring on the prod stack", () => {
  it("notifies the stack config's e-mails and webhooks, the webhook URLs kept secret", async () => {
    const group = props("azure-native:monitor:ActionGroup", "telemetry-oncall");
    expect(group.emailReceivers.map((r: { emailAddress: string }) => r.emailAddress)).toEqual([
      "ml-platform-oncall@contoso.com",
    ]);
    // A secret URL makes the receivers a secret on their way to the engine.
    expect(group.webhookReceivers).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: [
        {
          name: "incident-management",
          serviceUri: "https://oncall.contoso.com/hooks/azure-monitor",
          useCommonAlertSchema: true,
        },
      ],
    });
  });

  it("alerts on node CPU above 80 % and memory above 90 %, averaged over 15 minutes every 5", () => {
    for (const [role, metric, threshold] of [
      ["cpu", "node_cpu_usage_percentage", CPU_PERCENT],
      ["memory", "node_memory_working_set_percentage", MEMORY_PERCENT],
    ] as const) {
      const alert = props("azure-native:monitor:MetricAlert", `monitors-${role}`);
      expect(alert).toMatchObject({
        scopes: [expect.stringMatching(/\/managedClusters\/aks-prod-[0-9a-f]{8}$/)],
        windowSize: "PT15M",
        evaluationFrequency: "PT5M",
        actions: [{ actionGroupId: expect.stringMatching(/\/ActionGroup\/telemetry-oncall$/) }],
      });
      expect(alert.criteria.allOf).toEqual([
        expect.objectContaining({
          metricName: metric,
          metricNamespace: "Microsoft.ContainerService/managedClusters",
          operator: "GreaterThan",
          threshold,
          timeAggregation: "Average",
        }),
      ]);
    }
    expect([CPU_PERCENT, MEMORY_PERCENT]).toEqual([80, 90]);
  });

  it("alerts when more than 3 health checks fail, and checks the GARCH service's /health", () => {
    const rule = props("azure-native:monitor:ScheduledQueryRule", "monitors-failed-health-checks");
    expect(rule.criteria.allOf[0].query).toMatch(/AppAvailabilityResults[\s\S]*Success == false/);
    expect(rule.criteria.allOf[0].query).toContain(`failed > ${FAILED_HEALTH_CHECKS}`);
    expect(FAILED_HEALTH_CHECKS).toBe(3);
    expect(rule.actions.actionGroups).toHaveLength(1);
    const test = props("azure-native:applicationinsights:WebTest", "monitors-garch-health-check");
    expect(test.request.requestUrl).toBe("https://garch.mlops.contoso.com/health");
    expect(
      props("azure-native:monitor:MetricAlert", "monitors-garch-health-alert").criteria,
    ).toMatchObject({ failedLocationCount: 2 });
  });

  it("saves the design's three log queries over both services' container logs", () => {
    const saved = ofType("azure-native:operationalinsights:SavedSearch").map((r) => r.inputs);
    expect(saved.map((s) => s.displayName)).toEqual([
      "Errors in the last 24 hours",
      "Response time in 5-minute bins",
      "Failed health checks per hour",
    ]);
    for (const s of saved) {
      expect(s.workspaceName).toBe("telemetry-logs");
      expect(s.version).toBe(2);
      const query = s.query as string;
      expect(query).toMatch(/^ContainerLogV2\n\| where PodNamespace in \("serving", "garch"\)/);
      // Balanced parentheses and quotes: a typo here would only show in the portal.
      expect(query.split("(").length).toBe(query.split(")").length);
      expect((query.match(/"/g) ?? []).length % 2).toBe(0);
    }
    const [errors, latency, health] = saved.map((s) => s.query as string);
    expect(errors).toMatch(/ago\(24h\)[\s\S]*LogMessage\.level\) >= 50/);
    expect(latency).toContain(`LogMessage.msg) == "${REQUEST_LOG.message}"`);
    expect(latency).toContain(`LogMessage.${REQUEST_LOG.fields.ms}`);
    expect(latency).toMatch(/bin\(TimeGenerated, 5m\)/);
    expect(health).toMatch(
      /url startswith "\/health" and status >= 400[\s\S]*bin\(TimeGenerated, 1h\)/,
    );
  });

  it("puts every figure the on-call needs on the dashboard", () => {
    const dashboard = props("azure-native:portal:Dashboard", "monitors-dashboard");
    const parts = dashboard.properties.lenses[0].parts;
    expect(dashboardTitles(["serving", "garch"])).toEqual([
      "Response time p50 / p95 / p99 (ms)",
      "Requests per second",
      "4xx and 5xx rates (% of requests)",
      "Predictions (per 5 minutes)",
      "Mean prediction time (ms)",
      "Model load time (ms, at pod start)",
      "A/B traffic split",
      "Node CPU (%)",
      "Node memory working set (%)",
      "Network in / out (bytes)",
    ]);
    expect(parts).toHaveLength(10);
    const queries = parts
      .flatMap(
        (p: { metadata: { inputs: { name: string; value: unknown }[] } }) => p.metadata.inputs,
      )
      .filter((i: { name: string }) => i.name === "Query")
      .map((i: { value: string }) => i.value);
    expect(queries.some((q: string) => q.includes(`"${MODEL_LOADED_LOG.message}"`))).toBe(true);
    const charts = parts
      .filter((p: { metadata: { type: string } }) => p.metadata.type.endsWith("MonitorChartPart"))
      .flatMap(
        (p: {
          metadata: { settings: { content: { options: { chart: { metrics: unknown[] } } } } };
        }) => p.metadata.settings.content.options.chart.metrics,
      );
    expect(charts.map((m: { name: string }) => m.name)).toEqual([
      "node_cpu_usage_percentage",
      "node_memory_working_set_percentage",
      "node_network_in_bytes",
      "node_network_out_bytes",
    ]);
    for (const m of charts) {
      expect((m as { resourceMetadata: { id: string } }).resourceMetadata.id).toMatch(
        /\/managedClusters\/aks-prod-[0-9a-f]{8}$/,
      );
    }
    // Positions never overlap: two tiles per row.
    const cells = parts.map(
      (p: { position: { x: number; y: number } }) => `${p.position.x},${p.position.y}`,
    );
    expect(new Set(cells).size).toBe(parts.length);
  });
});
