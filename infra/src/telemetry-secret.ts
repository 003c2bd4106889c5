import { SERVING_ENV } from "@mlops/contracts";
import type { SecretEnv } from "@mlops/k8s";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Kubernetes Secret, in a serving namespace, that carries the App Insights connection string. */
export const TELEMETRY_SECRET = {
  name: "serving-telemetry",
  connectionStringKey: "connection-string",
};

/**
 * Builds a serving component whose pods read the App Insights connection string from the
 * telemetry Secret, and that Secret in the namespace the component creates. The pods must not
 * start before the Secret exists: its name reaches the component as an output of the Secret,
 * resolved once the Secret is declared, so the Deployments depend on it and it depends only on
 * the Namespace. The connection string is a secret output, so it never enters the plain config.
 */
export function withTelemetrySecret<T extends { namespace: pulumi.Output<string> }>(
  name: string,
  provider: k8s.Provider,
  connectionString: pulumi.Output<string>,
  build: (secretEnv: SecretEnv) => T,
): T {
  const [secretName, resolveSecretName] = pulumi.deferredOutput<string>();
  const component = build({
    secretName,
    keys: { [SERVING_ENV.appInsights]: TELEMETRY_SECRET.connectionStringKey },
  });
  const secret = new k8s.core.v1.Secret(
    `${name}-telemetry-secret`,
    {
      metadata: { name: TELEMETRY_SECRET.name, namespace: component.namespace },
      type: "Opaque",
      // stringData from a secret Output is itself secret: state and previews show it masked.
      stringData: { [TELEMETRY_SECRET.connectionStringKey]: connectionString },
    },
    { provider },
  );
  resolveSecretName(secret.metadata.name);
  return component;
}
