/**
 * Workload identity for the AKS KEDA add-on's operator, as the AKS docs set it up ("Securely
 * scale your applications using the KEDA add-on and workload identity",
 * articles/aks/keda-workload-identity.md): the `keda-operator` ServiceAccount carries the
 * identity's client id, and the operator restarts so the webhook injects the token. The docs use
 * `kubectl annotate` and `kubectl rollout restart`; here both are server-side-apply patches owned
 * by the program. The patch forces its field manager, so if the add-on's reconciler ever takes
 * the annotation back, the next `pulumi up` (with refresh) puts it back; the pod-template
 * annotation carries the client id, so the operator restarts exactly when the identity changes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceAccountRef } from "./names.js";

/** The add-on's operator: its ServiceAccount and Deployment share the name. */
export const KEDA_OPERATOR: ServiceAccountRef = { namespace: "kube-system", name: "keda-operator" };

/** Pod-template annotation that restarts the operator when its identity changes. */
export const IDENTITY_RESTART_ANNOTATION = "mlops.platform/workload-identity-client-id";

/** Arguments of {@link KedaOperatorIdentity}. */
export interface KedaOperatorIdentityArgs {
  /** The Kubernetes provider of the target cluster (server-side apply on). */
  readonly provider: k8s.Provider;
  /** Client id of the identity federated to `system:serviceaccount:kube-system:keda-operator`. */
  readonly clientId: pulumi.Input<string>;
}

/** Annotates the KEDA operator's ServiceAccount with its identity and restarts the operator. */
export class KedaOperatorIdentity extends pulumi.ComponentResource {
  constructor(
    name: string,
    args: KedaOperatorIdentityArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("mlops:k8s:KedaOperatorIdentity", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    // Take the fields over from whoever applied them last (the add-on, a `kubectl annotate`).
    const force = { "pulumi.com/patchForce": "true" };
    const account = new k8s.core.v1.ServiceAccountPatch(
      `${name}-service-account`,
      {
        metadata: {
          ...KEDA_OPERATOR,
          annotations: { ...force, "azure.workload.identity/client-id": args.clientId },
        },
      },
      child,
    );
    new k8s.apps.v1.DeploymentPatch(
      `${name}-restart`,
      {
        metadata: { ...KEDA_OPERATOR, annotations: force },
        spec: {
          template: { metadata: { annotations: { [IDENTITY_RESTART_ANNOTATION]: args.clientId } } },
        },
      },
      { ...child, dependsOn: [account] },
    );
    this.registerOutputs({});
  }
}
