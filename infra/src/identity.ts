import { KEDA_OPERATOR, type ServiceAccountRef } from "@mlops/k8s";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as pulumi from "@pulumi/pulumi";
import { grantToIdentity } from "./grants.js";
import { type PlacementArgs, placementOf } from "./placement.js";

/** Audience AKS workload identity tokens carry; Entra ID accepts only this one for the exchange. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";

/** The subject claim the cluster's OIDC issuer puts in a service account's token. */
export function serviceAccountSubject(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

export interface IdentityArgs extends PlacementArgs {
  /** Issuer URL of the AKS cluster's OIDC issuer. */
  oidcIssuerUrl: pulumi.Input<string>;
  /** Service accounts of the serving pods (one per variant), as `servingServiceAccounts` names them. */
  servingServiceAccounts: readonly ServiceAccountRef[];
  /** Azure Monitor workspace the autoscaler reads prediction rates from. */
  monitorWorkspaceId: pulumi.Input<string>;
  /**
   * The Gateways' edge ServiceAccounts (TLS sync and external-dns), where a Gateway serves a host
   * with a certificate (the prediction API's, the GARCH service's); no edge identity when empty.
   */
  edgeServiceAccounts: readonly ServiceAccountRef[];
}

/** The ids callers need of one user-assigned identity. */
export interface IdentityRef {
  /** Resource id, for attaching the identity to Azure resources. */
  id: pulumi.Output<string>;
  /** Client id, for workload-identity annotations and SDK credentials. */
  clientId: pulumi.Output<string>;
  /** Object (principal) id, for role assignments. */
  principalId: pulumi.Output<string>;
  /** Its federated credentials: a pod gets a token only once its subject's credential exists. */
  federation: readonly pulumi.Resource[];
}

/**
 * The workload identities: serving pods (federated with their service accounts), training jobs
 * (attached to the Azure ML compute cluster), and the KEDA operator (federated, with read access
 * to the managed Prometheus workspace so it can scale on prediction volume). Each gets only the
 * roles other components grant it, resource by resource.
 */
export class Identity extends pulumi.ComponentResource {
  /** Identity of the prediction API pods. */
  readonly serving: IdentityRef;
  /** Identity of Azure ML training jobs. */
  readonly training: IdentityRef;
  /** Identity KEDA uses to query managed Prometheus. */
  readonly autoscaler: IdentityRef;
  /** Identity of the Gateway's certificate sync and DNS records, when there is one. */
  readonly edge: IdentityRef | undefined;
  /** The autoscaler's read access to managed Prometheus: KEDA's queries fail until it exists. */
  readonly autoscalerAccess: pulumi.Resource;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Identity", name, {}, opts);
    const placement = placementOf(args);

    const create = (role: string, accounts: readonly ServiceAccountRef[]): IdentityRef => {
      const identity = new managedidentity.UserAssignedIdentity(`${name}-${role}`, placement, {
        parent: this,
      });
      let previous: pulumi.Resource | undefined;
      const federation: pulumi.Resource[] = [];
      for (const sa of accounts) {
        // Azure rejects concurrent writes of federated credentials on one identity.
        previous = new managedidentity.FederatedIdentityCredential(
          `${name}-${role}-${sa.namespace}-${sa.name}`,
          {
            resourceGroupName: args.resourceGroupName,
            resourceName: identity.name,
            issuer: args.oidcIssuerUrl,
            subject: serviceAccountSubject(sa),
            audiences: [WORKLOAD_IDENTITY_AUDIENCE],
          },
          { parent: this, dependsOn: previous ? [previous] : [] },
        );
        federation.push(previous);
      }
      return {
        id: identity.id,
        clientId: identity.clientId,
        principalId: identity.principalId,
        federation,
      };
    };

    this.serving = create("serving", args.servingServiceAccounts);
    this.training = create("training", []);
    this.autoscaler = create("autoscaler", [KEDA_OPERATOR]);
    this.edge =
      args.edgeServiceAccounts.length === 0 ? undefined : create("edge", args.edgeServiceAccounts);
    this.autoscalerAccess = grantToIdentity(
      `${name}-autoscaler-prometheus-reader`,
      args.monitorWorkspaceId,
      "monitoringDataReader",
      this.autoscaler.principalId,
      { parent: this },
    );

    this.registerOutputs({
      servingClientId: this.serving.clientId,
      trainingClientId: this.training.clientId,
      autoscalerClientId: this.autoscaler.clientId,
    });
  }
}
