import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertDns1123Subdomain } from "./names.js";
import { validateFor } from "./validation.js";

/** IngressClass of the AKS application-routing add-on (managed ingress-nginx). */
export const APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com";

/** Annotation prefix ingress-nginx reads. */
const NGINX = "nginx.ingress.kubernetes.io";

/** One host + path the API is served on. */
export interface IngressRule {
  /** Public host name: a DNS-1123 subdomain. */
  readonly host: string;
  /** Path prefix, starting with '/'. @default "/" */
  readonly path?: string;
}

/** A Service an Ingress routes to. */
export interface BackendService {
  /** The Service's name (from {@link ModelDeployment.serviceName}). */
  readonly name: pulumi.Input<string>;
  /** The Service port to route to. */
  readonly port: number;
}

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
  /** Secret holding the TLS certificate for all hosts; plain HTTP when absent. */
  readonly tlsSecretName?: string;
}

/** HTTP header field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Cookie name (RFC 6265 token; same character set). */
const COOKIE_NAME = HEADER_NAME;

/** Throws unless `weight` is an integer percent; returns it as the annotation string. */
export function canaryWeightAnnotation(weight: number): string {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new Error(`canaryWeight: ${weight} must be an integer in 0-100`);
  }
  return String(weight);
}

/** Host + path key of a rule, with the default path applied. */
export function ruleKey(rule: IngressRule): string {
  return `${rule.host}${rule.path ?? "/"}`;
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
  if (args.rules.length === 0) throw new Error("rules: at least one host is required");
  args.rules.forEach((rule, i) => {
    assertDns1123Subdomain(`rules[${i}].host`, rule.host);
    const path = rule.path ?? "/";
    if (!path.startsWith("/") || /\s/.test(path)) {
      throw new Error(`rules[${i}].path: "${path}" must start with '/' and contain no whitespace`);
    }
  });
  // Within one canary Ingress a repeated rule would be a second canary for it.
  assertOneCanaryPerRule(new Map(args.rules.map((rule, i) => [`rules[${i}]`, [rule]])));
  for (const [field, port] of [
    ["stable.port", args.stable.port],
    ["canary.port", args.canary.port],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${field}: ${port} must be an integer in 1-65535`);
    }
  }
  const header = args.canaryHeader ?? "X-Canary";
  if (!HEADER_NAME.test(header)) {
    throw new Error(`canaryHeader: "${header}" must be an HTTP header name`);
  }
  for (const [field, cookie] of [
    ["canaryCookie", args.canaryCookie],
    ["affinityCookie", args.affinityCookie],
  ] as const) {
    if (cookie !== undefined && !COOKIE_NAME.test(cookie)) {
      throw new Error(`${field}: "${cookie}" must be a cookie name`);
    }
  }
  if (args.tlsSecretName !== undefined) assertDns1123Subdomain("tlsSecretName", args.tlsSecretName);
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
    [`${NGINX}/canary-by-header`]: args.canaryHeader ?? "X-Canary",
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

    const spec = (backend: BackendService): k8s.types.input.networking.v1.IngressSpec => ({
      ingressClassName: args.ingressClassName ?? APP_ROUTING_INGRESS_CLASS,
      ...(args.tlsSecretName === undefined
        ? {}
        : { tls: [{ hosts: args.rules.map((r) => r.host), secretName: args.tlsSecretName }] }),
      rules: args.rules.map((rule) => ({
        host: rule.host,
        http: {
          paths: [
            {
              path: rule.path ?? "/",
              pathType: "Prefix",
              backend: { service: { name: backend.name, port: { number: backend.port } } },
            },
          ],
        },
      })),
    });

    const stable = new k8s.networking.v1.Ingress(
      `${name}-stable`,
      {
        metadata: { name: `${name}-stable`, namespace: args.namespace, annotations: affinity },
        spec: spec(args.stable),
      },
      child,
    );
    const canary = new k8s.networking.v1.Ingress(
      `${name}-canary`,
      {
        metadata: {
          name: `${name}-canary`,
          namespace: args.namespace,
          annotations: { ...affinity, ...canaryAnnotations(args) },
        },
        spec: spec(args.canary),
      },
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
