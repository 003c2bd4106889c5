import {
  HEALTH_PATHS,
  predictionRateQuery,
  renderServingEnv,
  SECRET_ENV_VARS,
  type ServedVariant,
  type ServingConfig,
  SHUTDOWN_GRACE_MS,
} from "@mlops/contracts";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertPinnedImage } from "./image.js";
import { type KeyVaultMount, keyVaultVolume } from "./key-vault-secrets.js";
import { assertDns1123Label } from "./names.js";
import {
  type AutoscalerKind,
  cpuUsageQuery,
  type KedaPrometheusSource,
  PredictionAutoscaler,
  type PredictionAutoscalerArgs,
  validatePredictionAutoscalerArgs,
} from "./prediction-autoscaler.js";
import { assertReplicaCount } from "./replicas.js";
import {
  type ContainerResources,
  DEFAULT_RESOURCES,
  toResourceRequirements,
  validateResources,
} from "./resources.js";
import { DEFAULT_SCALING, type ScalingSettings } from "./scaling.js";
import {
  type DeployedEnv,
  deployedEnvVars,
  type SecretEnv,
  secretEnvVars,
  validateDeployedEnv,
  validateSecretEnv,
} from "./secret-env.js";
import {
  createServingWorkload,
  PORT_NAME,
  SERVICE_PORT,
  type WorkloadIdentity,
} from "./serving-workload.js";
import { validateFor } from "./validation.js";

/** Label every object of the serving plane carries (`app.kubernetes.io/name`). */
export const APP_NAME = "prediction-api";
/** Label that tells champion and challenger pods apart; the selector's second key. */
export const VARIANT_LABEL = "mlops.platform/variant";
/** Name of the serving container (the CPU trigger selects its series). */
const CONTAINER_NAME = "server";
/**
 * Seconds the pod keeps serving after it is marked terminating: ingress-nginx
 * needs a few seconds to drop the endpoint, and requests it sends meanwhile
 * must not hit a closed socket.
 */
const PRE_STOP_SLEEP_SECONDS = 5;
/** Slack between the server's own drain deadline and the kubelet's SIGKILL. */
const TERMINATION_MARGIN_SECONDS = 5;

/** HTTP paths of the server's health routes. */
export interface HealthPaths {
  /** Liveness: the process is not wedged. */
  readonly live: string;
  /** Readiness: the model is loaded and requests can be served. */
  readonly ready: string;
}

/** The serving API's health routes, as the server registers them (from contracts). */
export const DEFAULT_HEALTH_PATHS: HealthPaths = Object.freeze({ ...HEALTH_PATHS });

/**
 * Seconds the server may take to stop after SIGTERM: its graceful-stop deadline
 * (contracts' `SHUTDOWN_GRACE_MS`), which bounds draining requests, the final
 * prediction-log flush and closing telemetry and store.
 */
export const DEFAULT_DRAIN_SECONDS = SHUTDOWN_GRACE_MS / 1000;

/**
 * Longest drain a pod may be given: 5 minutes. The Gateway (or NGINX Ingress) in front of the
 * pods has dropped the endpoint during the pre-stop sleep, so the drain only covers requests in
 * flight, and the server stops by its own deadline (`DEFAULT_DRAIN_SECONDS`) anyway. A longer
 * grace period would only stall every rollout and node drain, pod by pod, for nothing.
 */
export const MAX_DRAIN_SECONDS = 300;

/** Autoscaling for one model Deployment. */
export interface ModelAutoscaling {
  /** KEDA (default) or a plain HPA. @default "keda" */
  readonly kind?: AutoscalerKind;
  /** Replica bounds, per-pod target and behaviour. @default DEFAULT_SCALING */
  readonly scaling?: ScalingSettings;
  /** Managed Prometheus endpoint and identity; required for KEDA. */
  readonly prometheus?: KedaPrometheusSource;
  /** CPU utilisation percent that also triggers scale-up. @default 70 */
  readonly cpuUtilizationPercent?: number;
}

/** Arguments of {@link ModelDeployment}. */
export interface ModelDeploymentArgs {
  /** The Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** Namespace to deploy into (from {@link ServingNamespace.name}, which carries the dependency). */
  readonly namespace: pulumi.Input<string>;
  /** Serving image, pinned by digest or by an immutable tag. */
  readonly image: string;
  /**
   * The server's configuration, rendered into the container's environment
   * with the contracts renderer, so the pod gets exactly what the server
   * parses. Must be `mode: "single"` with its `variant` set: one Deployment
   * per arm; the variant also labels every object. Its `port` is the
   * container port.
   */
  readonly servingConfig: ServingConfig;
  /**
   * Credential variables (`SECRET_ENV_VARS`) read from a Secret, whether or
   * not the config holds a value for them; required for every credential
   * the config does set, which is then never rendered in clear.
   */
  readonly secretEnv?: SecretEnv;
  /**
   * Non-credential variables whose values are Pulumi outputs (e.g. the App Insights connection
   * string), carried as plain values; they replace what `servingConfig` renders for the same name.
   */
  readonly deployedEnv?: DeployedEnv;
  /**
   * Key Vault secrets mounted as files (API keys, canary tokens); required exactly when the
   * config's `MLOPS_SECRETS_DIR` is set, and mounted there.
   */
  readonly keyVaultMount?: KeyVaultMount;
  /** Seconds the server takes to drain in-flight requests on SIGTERM (0-{@link MAX_DRAIN_SECONDS}). @default DEFAULT_DRAIN_SECONDS */
  readonly drainSeconds?: number;
  /** The server's health routes. @default DEFAULT_HEALTH_PATHS */
  readonly healthPaths?: HealthPaths;
  /** Identity for Cosmos DB, Key Vault and Application Insights. */
  readonly workloadIdentity: WorkloadIdentity;
  /** Container requests and limits. @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /**
   * Autoscaler to create; `spec.replicas` is then left to it. Absent: a
   * fixed `replicas` count.
   */
  readonly autoscaling?: ModelAutoscaling;
  /** Fixed replica count when no autoscaler is set (>= 1). @default 2 */
  readonly replicas?: number;
}

/** Throws, naming the field and the rule, unless `args` describe a deployable model variant. */
export function validateModelDeploymentArgs(name: string, args: ModelDeploymentArgs): void {
  // The name becomes the Deployment, Service, ServiceAccount and PDB name; a Service name is a label.
  assertDns1123Label("name", name);
  const config = args.servingConfig;
  if (config.mode !== "single" || config.variant === null) {
    throw new Error(
      `servingConfig.mode: "${config.mode}" must be "single" with a variant on Kubernetes (one Deployment per arm)`,
    );
  }
  validatePodTemplateArgs(args);
  assertReplicaCount("replicas", args.replicas ?? 2);
  if (args.autoscaling !== undefined && args.replicas !== undefined) {
    throw new Error("replicas: leave unset when autoscaling is set; the autoscaler owns the count");
  }
  // Checked here too, so a bad autoscaler fails before the Deployment is registered.
  if (args.autoscaling !== undefined) {
    validatePredictionAutoscalerArgs(autoscalerArgs(name, args, args.autoscaling));
  }
}

/** Throws, naming the field and the rule, unless a serving pod can be built from `args`. */
export function validatePodTemplateArgs(args: PodTemplateArgs): void {
  assertPinnedImage("image", args.image);
  if (args.secretEnv !== undefined) validateSecretEnv("secretEnv", args.secretEnv);
  if (args.deployedEnv !== undefined) validateDeployedEnv("deployedEnv", args.deployedEnv);
  const secretsDir = args.servingConfig.edge.secretsDir;
  if (args.keyVaultMount?.mountPath !== (secretsDir ?? undefined)) {
    throw new Error(
      secretsDir === null
        ? `keyVaultMount: servingConfig sets no MLOPS_SECRETS_DIR to read the mounted secrets from`
        : `keyVaultMount: must mount the Key Vault secrets at MLOPS_SECRETS_DIR (${secretsDir})`,
    );
  }
  const uncovered = Object.keys(renderServingEnv(args.servingConfig)).filter(
    (k) => SECRET_ENV_VARS.includes(k) && args.secretEnv?.keys[k] === undefined,
  );
  if (uncovered.length > 0) {
    throw new Error(
      `secretEnv: must source ${uncovered.join(", ")} because servingConfig sets it; credentials come from a Secret, never a plain env value`,
    );
  }
  const drain = args.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
  if (!Number.isInteger(drain) || drain < 0 || drain > MAX_DRAIN_SECONDS) {
    throw new Error(`drainSeconds: ${drain} must be an integer in 0-${MAX_DRAIN_SECONDS}`);
  }
  const health = args.healthPaths ?? DEFAULT_HEALTH_PATHS;
  for (const key of ["live", "ready"] as const) {
    if (!health[key].startsWith("/")) {
      throw new Error(`healthPaths.${key}: "${health[key]}" must start with '/'`);
    }
  }
  validateResources("resources", args.resources ?? DEFAULT_RESOURCES);
}

/** The autoscaler of deployment `name`: its own per-variant request rate, in its namespace. */
export function autoscalerArgs(
  name: string,
  args: ModelDeploymentArgs,
  autoscaling: ModelAutoscaling,
): PredictionAutoscalerArgs {
  const variant = args.servingConfig.variant;
  return {
    provider: args.provider,
    namespace: args.namespace,
    deploymentName: name,
    kind: autoscaling.kind,
    scaling: autoscaling.scaling ?? DEFAULT_SCALING,
    prometheus: autoscaling.prometheus,
    cpuUtilizationPercent: autoscaling.cpuUtilizationPercent,
    requestRateQuery: pulumi
      .output(args.namespace)
      .apply((ns) => predictionRateQuery(`namespace="${ns}",variant="${variant}"`)),
    cpuUsageQuery: pulumi
      .output(args.namespace)
      .apply((ns) => cpuUsageQuery(ns, name, CONTAINER_NAME)),
    cpuRequestMillis: (args.resources ?? DEFAULT_RESOURCES).requests.cpuMillis,
  };
}

/** Labels that select one variant's pods; stable for the Deployment's lifetime. */
export function selectorLabels(variant: ServedVariant): Record<string, string> {
  return { "app.kubernetes.io/name": APP_NAME, [VARIANT_LABEL]: variant };
}

/** Seconds the kubelet waits before SIGKILL: pre-stop delay + the server's drain + margin. */
export function terminationGraceSeconds(drainSeconds: number): number {
  return PRE_STOP_SLEEP_SECONDS + drainSeconds + TERMINATION_MARGIN_SECONDS;
}

/**
 * The container environment: the contracts rendering of `config` without
 * the variables `deployedEnv` and `secretEnv` source, then the deployed
 * values, then those read from their Secret, so no credential is ever
 * carried in the manifest.
 */
export function containerEnv(
  config: ServingConfig,
  secretEnv: SecretEnv | undefined,
  deployedEnv: DeployedEnv = {},
): k8s.types.input.core.v1.EnvVar[] {
  const fromSecret = secretEnv === undefined ? [] : secretEnvVars(secretEnv);
  const deployed = deployedEnvVars(deployedEnv);
  const sourced = new Set([...fromSecret, ...deployed].map((e) => e.name));
  const plain = Object.entries(renderServingEnv(config))
    .filter(([name]) => !sourced.has(name))
    .map(([name, value]) => ({ name, value }));
  return [...plain, ...deployed, ...fromSecret];
}

/** What a serving pod's template is built from. */
export type PodTemplateArgs = Pick<
  ModelDeploymentArgs,
  | "image"
  | "servingConfig"
  | "secretEnv"
  | "deployedEnv"
  | "keyVaultMount"
  | "drainSeconds"
  | "healthPaths"
  | "resources"
>;

/**
 * The serving pod (a model variant's, the GARCH service's): hardened (non-root, read-only root,
 * no capabilities, RuntimeDefault seccomp, no API token), without service-link variables,
 * probed on the health routes, spread over zones and nodes, scraped by Prometheus.
 */
export function podTemplate(
  args: PodTemplateArgs,
  serviceAccountName: pulumi.Input<string>,
  selector: Record<string, string>,
): k8s.types.input.core.v1.PodTemplateSpec {
  const port = { port: PORT_NAME };
  const config = args.servingConfig;
  const health = args.healthPaths ?? DEFAULT_HEALTH_PATHS;
  const vault = args.keyVaultMount && keyVaultVolume(args.keyVaultMount);
  return {
    metadata: {
      labels: { ...selector, "azure.workload.identity/use": "true" },
      annotations: {
        // Honoured by the managed Prometheus agent once pod-annotation scraping is on for this namespace.
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(config.port),
        "prometheus.io/path": "/metrics",
      },
    },
    spec: {
      serviceAccountName,
      // The workload-identity webhook projects its own token; the Kubernetes API token is not needed.
      automountServiceAccountToken: false,
      // No Docker-link variables (<SERVICE>_SERVICE_HOST, <SERVICE>_PORT…) for the namespace's
      // Services: the platform reaches services by DNS, and the serving process refuses any
      // MLOPS_-prefixed variable it does not read, so a Service named mlops-… would crash-loop it.
      enableServiceLinks: false,
      terminationGracePeriodSeconds: terminationGraceSeconds(
        args.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
      ),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: selector },
        },
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: selector },
        },
      ],
      containers: [
        {
          name: CONTAINER_NAME,
          image: args.image,
          imagePullPolicy: "IfNotPresent",
          ports: [{ name: PORT_NAME, containerPort: config.port, protocol: "TCP" }],
          env: containerEnv(config, args.secretEnv, args.deployedEnv),
          resources: toResourceRequirements(args.resources ?? DEFAULT_RESOURCES),
          // Model loading can take a while; liveness only starts counting once this passes.
          startupProbe: {
            httpGet: { path: health.live, ...port },
            periodSeconds: 5,
            failureThreshold: 24,
          },
          livenessProbe: {
            httpGet: { path: health.live, ...port },
            periodSeconds: 10,
            timeoutSeconds: 2,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: health.ready, ...port },
            periodSeconds: 5,
            timeoutSeconds: 2,
            failureThreshold: 2,
          },
          lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          },
          volumeMounts: [
            { name: "tmp", mountPath: "/tmp" },
            { name: "store", mountPath: SERVING_IMAGE_DATA_DIR },
            ...(vault ? [vault.volumeMount] : []),
          ],
        },
      ],
      // The writable paths of the read-only image (services/serving/Dockerfile's VOLUME): temp
      // files, and the embedded store's file when MLOPS_STORE is not cosmos. Bounded so neither
      // can fill the node; a pod past its limit is evicted, so /tmp holds what the Azure Monitor
      // exporter may keep there while App Insights is unreachable (its offline store under
      // os.tmpdir(), up to 50 MB: maxBytesOnDisk in the exporter's fileSystemPersist) with
      // room to spare. Key Vault's secrets, when mounted, are read-only.
      volumes: [
        { name: "tmp", emptyDir: { sizeLimit: TMP_SIZE_LIMIT } },
        { name: "store", emptyDir: { sizeLimit: "1Gi" } },
        ...(vault ? [vault.volume] : []),
      ],
    },
  };
}

/** The serving pods' /tmp: the exporter's offline telemetry (≤ 50 MB) and temp files. */
export const TMP_SIZE_LIMIT = "128Mi";

/** Where the serving image keeps its writable data (its VOLUME; the embedded store's file). */
export const SERVING_IMAGE_DATA_DIR = "/var/lib/mlops";

/**
 * One model variant on the cluster: ServiceAccount (workload identity),
 * Deployment, Service, PodDisruptionBudget and, when configured, its
 * autoscaler. Champion and challenger are two instances of this component.
 */
export class ModelDeployment extends pulumi.ComponentResource {
  /** Name of the Deployment (also of the Service, ServiceAccount and PDB). */
  public readonly deploymentName: pulumi.Output<string>;
  /** Name of the ClusterIP Service in front of the pods. */
  public readonly serviceName: pulumi.Output<string>;
  /** Name of the ServiceAccount the pods run as (the workload-identity subject). */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** Port the Service listens on. */
  public readonly servicePort: number;

  constructor(name: string, args: ModelDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:ModelDeployment", name, {}, opts);
    validateFor(this, () => validateModelDeploymentArgs(name, args));
    const selector = selectorLabels(args.servingConfig.variant!);
    this.servicePort = SERVICE_PORT;

    const { serviceAccount, deployment, service } = createServingWorkload(
      name,
      {
        provider: args.provider,
        namespace: args.namespace,
        selector,
        workloadIdentity: args.workloadIdentity,
        template: (serviceAccountName) => podTemplate(args, serviceAccountName, selector),
        // With an autoscaler, a replicas field would reset the fleet on every `pulumi up`.
        replicas: args.autoscaling === undefined ? (args.replicas ?? 2) : undefined,
      },
      this,
    );

    if (args.autoscaling !== undefined) {
      new PredictionAutoscaler(`${name}-autoscaler`, autoscalerArgs(name, args, args.autoscaling), {
        parent: this,
        dependsOn: [deployment],
      });
    }

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.serviceAccountName = serviceAccount.metadata.name;
    this.registerOutputs({
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
      serviceAccountName: this.serviceAccountName,
      servicePort: this.servicePort,
    });
  }
}
