import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertDns1123Subdomain } from "./names.js";
import {
  assertToken,
  assertWeight,
  type BackendService,
  DEFAULT_FORCE_HEADER,
  hostsOf,
  type IngressRule,
  pathOf,
  ruleKey,
  validateBackends,
  validateRules,
} from "./routes.js";
import { validateFor } from "./validation.js";

/** IngressClass of the AKS application-routing add-on (managed ingress-nginx). */
export const APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com";

/** Annotation prefix ingress-nginx reads. */
const NGINX = "nginx.ingress.kubernetes.io";

/**
 * Ingress annotation of the application-routing add-on: the unversioned URI of
 * a Key Vault certificate, which the add-on syncs into the TLS Secret
 * `keyvault-<ingress name>` (AKS docs, "Set up a custom domain name and SSL
 * certificate with the application routing add-on").
 */
export const KEYVAULT_CERT_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri";

/** The TLS Secret the add-on syncs a Key Vault certificate into for Ingress `name`. */
export const keyVaultTlsSecretName = (name: string): string => `keyvault-${name}`;

/** Arguments of {@link CanaryIngress}. */
export interface CanaryIngressArgs {
  /** The Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** Namespace of both Ingresses and both Services. */
  readonly namespace: pulumi.Input<string>;
  /** Hosts and paths; each (host, path) at most once, as ingress-nginx allows one canary per rule. */
  readonly rules: readonly IngressRule[];
  /** The champion's Service: gets everything the canary does not take. */
  readonly stable: BackendService;
  /** The challenger's Service. */
  readonly canary: BackendService;
  /** Share of requests (integer percent, 0-100) sent to the canary; from stack config. */
  readonly canaryWeight: number;
  /**
   * Request header that forces the arm (`always` → canary, `never` → stable;
   * any other value falls through to the cookie and then the weight), for
   * smoke tests and QA.
   * @default "X-Canary"
   */
  readonly canaryHeader?: string;
  /**
   * Cookie that forces the arm the same way (`always` / `never`), checked after the header.
   * @default none
   */
  readonly canaryCookie?: string;
  /**
   * Name of the session-affinity cookie that keeps a user on the arm they
   * first landed on (ingress-nginx `affinity-canary-behavior: sticky`).
   * @default "mlops-arm"
   */
  readonly affinityCookie?: string;
  /** IngressClass of the controller. @default APP_ROUTING_INGRESS_CLASS */
  readonly ingressClassName?: string;
  /**
   * Unversioned URI of the Key Vault certificate for the hosts (HTTPS, and
   * ingress-nginx then redirects HTTP to HTTPS); plain HTTP when absent.
   */
  readonly keyVaultCertificateUri?: pulumi.Input<string>;
  /** Labels of the both Ingresses (e.g. `PUBLIC_ROUTE_LABEL`, which the policy pack reads). @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Throws unless `weight` is an integer percent; returns it as the annotation string. */
export function canaryWeightAnnotation(weight: number): string {
  assertWeight("canaryWeight", weight);
  return String(weight);
}

/**
 * Throws if any (host, path) is claimed by more than one canary Ingress:
 * ingress-nginx silently uses only one of them. `canaries` maps an Ingress
 * name to the rules it carries.
 */
export function assertOneCanaryPerRule(
  canaries: ReadonlyMap<string, readonly IngressRule[]>,
): void {
  const owner = new Map<string, string>();
  for (const [ingress, rules] of canaries) {
    for (const rule of rules) {
      const key = ruleKey(rule);
      const first = owner.get(key);
      if (first !== undefined) {
        throw new Error(
          `rules: ${key} already has a canary (${first}); ingress-nginx allows one canary Ingress per rule, so ${ingress} cannot add another`,
        );
      }
      owner.set(key, ingress);
    }
  }
}

/** Throws, naming the field and the rule, unless `args` describe a valid champion/challenger split. */
export function validateCanaryIngressArgs(name: string, args: CanaryIngressArgs): void {
  assertDns1123Subdomain("name", `${name}-canary`);
  canaryWeightAnnotation(args.canaryWeight);
  // Within one canary Ingress a repeated rule would be a second canary for it.
  assertOneCanaryPerRule(new Map(args.rules.map((rule, i) => [`rules[${i}]`, [rule]])));
  validateRules(args.rules);
  validateBackends({ stable: args.stable, canary: args.canary });
  assertToken("canaryHeader", args.canaryHeader ?? DEFAULT_FORCE_HEADER, "an HTTP header name");
  for (const [field, cookie] of [
    ["canaryCookie", args.canaryCookie],
    ["affinityCookie", args.affinityCookie],
  ] as const) {
    if (cookie !== undefined) assertToken(field, cookie, "a cookie name");
  }
  if (args.ingressClassName !== undefined) {
    assertDns1123Subdomain("ingressClassName", args.ingressClassName);
  }
}

/**
 * Session affinity, on both Ingresses: ingress-nginx honours these on a
 * canary (unlike its other annotations) and, with `sticky`, keeps a user who
 * landed on the canary there, so one user sees one model.
 */
export function affinityAnnotations(cookie: string): Record<string, string> {
  return {
    [`${NGINX}/affinity`]: "cookie",
    [`${NGINX}/affinity-mode`]: "persistent",
    [`${NGINX}/session-cookie-name`]: cookie,
    [`${NGINX}/affinity-canary-behavior`]: "sticky",
  };
}

/**
 * The canary annotations. ingress-nginx evaluates header, then cookie, then
 * weight, so explicit routing always beats the random split.
 */
export function canaryAnnotations(
  args: Pick<CanaryIngressArgs, "canaryWeight" | "canaryHeader" | "canaryCookie">,
): Record<string, string> {
  return {
    [`${NGINX}/canary`]: "true",
    [`${NGINX}/canary-by-header`]: args.canaryHeader ?? DEFAULT_FORCE_HEADER,
    ...(args.canaryCookie === undefined
      ? {}
      : { [`${NGINX}/canary-by-cookie`]: args.canaryCookie }),
    [`${NGINX}/canary-weight`]: canaryWeightAnnotation(args.canaryWeight),
  };
}

/**
 * Champion/challenger traffic split on ingress-nginx: a stable Ingress to the
 * champion and one canary Ingress, same hosts and paths, to the challenger.
 * Moving the weight is a one-annotation change driven from stack config.
 */
export class CanaryIngress extends pulumi.ComponentResource {
  /** Name of the stable (champion) Ingress. */
  public readonly stableIngressName: pulumi.Output<string>;
  /** Name of the canary (challenger) Ingress. */
  public readonly canaryIngressName: pulumi.Output<string>;

  constructor(name: string, args: CanaryIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:CanaryIngress", name, {}, opts);
    validateFor(this, () => validateCanaryIngressArgs(name, args));
    const child = { parent: this, provider: args.provider };
    const affinity = affinityAnnotations(args.affinityCookie ?? "mlops-arm");
    const labels = args.labels === undefined ? {} : { labels: { ...args.labels } };

    const spec = (
      backend: BackendService,
      tlsSecretName?: string,
    ): k8s.types.input.networking.v1.IngressSpec => ({
      ingressClassName: args.ingressClassName ?? APP_ROUTING_INGRESS_CLASS,
      ...(tlsSecretName === undefined
        ? {}
        : { tls: [{ hosts: hostsOf(args.rules), secretName: tlsSecretName }] }),
      rules: args.rules.map((rule) => ({
        host: rule.host,
        http: {
          paths: [
            {
              path: pathOf(rule),
              // networking.k8s.io/v1 HTTPIngressPath: Exact is the path alone, Prefix whole
              // path elements below it too (Kubernetes API reference, Ingress v1).
              pathType: rule.exact === true ? "Exact" : "Prefix",
              backend: { service: { name: backend.name, port: { number: backend.port } } },
            },
          ],
        },
      })),
    });

    const ingress = (
      role: "stable" | "canary",
      annotations: Record<string, pulumi.Input<string>>,
      ingressSpec: k8s.types.input.networking.v1.IngressSpec,
      ingressOpts: pulumi.CustomResourceOptions,
    ) =>
      new k8s.networking.v1.Ingress(
        `${name}-${role}`,
        {
          metadata: { name: `${name}-${role}`, namespace: args.namespace, ...labels, annotations },
          spec: ingressSpec,
        },
        ingressOpts,
      );

    // TLS belongs to the host's main Ingress: ingress-nginx builds the server (certificate,
    // redirect) from it and adds the canary as an alternative upstream only.
    const tls = args.keyVaultCertificateUri;
    const stable = ingress(
      "stable",
      tls === undefined ? affinity : { ...affinity, [KEYVAULT_CERT_ANNOTATION]: tls },
      spec(args.stable, tls === undefined ? undefined : keyVaultTlsSecretName(`${name}-stable`)),
      child,
    );
    const canary = ingress(
      "canary",
      { ...affinity, ...canaryAnnotations(args) },
      spec(args.canary),
      // ingress-nginx treats a canary without its stable Ingress as unroutable.
      { ...child, dependsOn: [stable] },
    );
    this.stableIngressName = stable.metadata.name;
    this.canaryIngressName = canary.metadata.name;
    this.registerOutputs({
      stableIngressName: this.stableIngressName,
      canaryIngressName: this.canaryIngressName,
    });
  }
}
