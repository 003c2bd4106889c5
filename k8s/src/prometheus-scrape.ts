import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { assertDns1123Label } from "./names.js";

/**
 * Settings of the AKS managed-Prometheus add-on (the ama-metrics agent).
 * The agent reads one ConfigMap of this name in kube-system; AKS does not
 * create it, and without it pod-annotation scraping is off in every
 * namespace, so the `prometheus.io/*` annotations on the serving pods are
 * ignored and neither KEDA nor the Prometheus alerts see
 * `prediction_requests_total`.
 *
 * Key names and value syntax follow the add-on's published template,
 * `otelcollector/configmaps/ama-metrics-settings-configmap.yaml` in
 * Azure/prometheus-collector, and the Azure Monitor article "Customize
 * scraping of Prometheus metrics" (section "Enable pod annotation-based
 * scraping"). Keys left out keep the add-on's defaults.
 */
export const AMA_METRICS_SETTINGS = Object.freeze({
  name: "ama-metrics-settings-configmap",
  namespace: "kube-system",
});

/** ConfigMap data that turns on pod-annotation scraping for exactly `namespaces`. */
export function amaMetricsSettingsData(namespaces: readonly string[]): Record<string, string> {
  if (namespaces.length === 0) {
    throw new Error("namespaces: at least one namespace must be scraped");
  }
  for (const ns of namespaces) assertDns1123Label("namespaces", ns);
  return {
    // The agent rejects settings whose schema version it does not know; v1 is the template's.
    "schema-version": "v1",
    "config-version": "ver1",
    // A regex over namespace names; DNS-1123 labels hold no regex metacharacters to escape.
    "pod-annotation-based-scraping": `podannotationnamespaceregex = "${namespaces.join("|")}"`,
  };
}

/**
 * Creates the managed-Prometheus settings ConfigMap scraping the pods of
 * `namespaces`. One per cluster: the agent reads a single ConfigMap by name.
 */
export function createAmaMetricsSettings(
  name: string,
  namespaces: readonly string[],
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(
    name,
    {
      metadata: { ...AMA_METRICS_SETTINGS },
      data: amaMetricsSettingsData(namespaces),
    },
    opts,
  );
}
