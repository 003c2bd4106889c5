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
  return {
    async close() {
      await ai.flushAzureMonitor();
      await ai.shutdownAzureMonitor();
    },
  };
}
