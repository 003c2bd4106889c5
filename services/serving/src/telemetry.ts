/**
 * Application Insights, only when `APPLICATIONINSIGHTS_CONNECTION_STRING` is configured: the SDK
 * costs about a second to load and instruments whatever it is set up in, so it is imported
 * dynamically and started before the HTTP stack is loaded (its http instrumentation must see
 * the server being created). Requests are sampled at the configured ratio (fixed-ratio, not the
 * SDK's default of 5 traces per second) because full sampling cuts throughput several-fold.
 * With `MLOPS_TELEMETRY_AUTH=entra` every export carries a token of the process's Azure identity
 * (workload identity in the pods), which a component with local auth off requires
 * (learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication, Node.js).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ServingConfig } from "@mlops/contracts";

/** A started exporter: flush what is queued, then stop. */
export interface Telemetry {
  close(): Promise<void>;
}

/** Starts Azure Monitor when configured; null (and nothing loaded) otherwise. */
export async function startTelemetry(config: ServingConfig): Promise<Telemetry | null> {
  const { connectionString, auth, samplingRatio } = config.appInsights;
  if (connectionString === null) return null;
  const ai = await import("applicationinsights");
  const credential =
    auth === "entra" ? new (await import("@azure/identity")).DefaultAzureCredential() : undefined;
  ai.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, credential },
    samplingRatio,
    tracesPerSecond: 0,
    enableLiveMetrics: false,
  });
  stopControlPlanePolling();
  return {
    async close() {
      await ai.flushAzureMonitor();
      await ai.shutdownAzureMonitor();
    },
  };
}

/**
 * The exporter polls Azure Monitor's control plane ("OneSettings", settings.sdk.monitor.azure.com)
 * 5-15 s after it starts and hourly after, to switch features of its own (SDK stats, offline
 * storage); no setting turns that off (@azure/monitor-opentelemetry-exporter 1.0.0-beta.47).
 * Telemetry goes to the configured endpoint and nowhere else, so the poll is stopped once the
 * exporters exist. Its manager is internal: it is reached through the file the exporter loads it
 * from (the CommonJS build applicationinsights requires), and a version that moves it fails
 * start-up here rather than polling unnoticed. The telemetry test runs past the first poll's time.
 */
function stopControlPlanePolling(): void {
  const ai = createRequire(createRequire(import.meta.url).resolve("applicationinsights"));
  const distro = createRequire(ai.resolve("@azure/monitor-opentelemetry"));
  const exporter = dirname(distro.resolve("@azure/monitor-opentelemetry-exporter"));
  const { ConfigurationManager } = distro(
    join(exporter, "_configuration", "configurationManager.js"),
  ) as { ConfigurationManager: { getInstance(): { shutdown(): void } } };
  ConfigurationManager.getInstance().shutdown();
}
