/**
 * The first `pulumi up` on an empty subscription, read from the resource graph under mocks: every
 * workload waits, directly or through its parents, for what it needs at runtime (its identity's
 * federated credentials and role assignments, the Cosmos database and containers, the cluster
 * whose add-ons serve the CRDs of the objects it creates), and the KEDA operator runs as the
 * autoscaler identity before the scalers that authenticate with it exist.
 */
import { COSMOS_LAYOUT } from "@mlops/contracts";
import { ADDON_CRDS, IDENTITY_RESTART_ANNOTATION } from "@mlops/k8s";
import { keyOf, registered, validateObject } from "@mlops/k8s/test-support";
import { describe, expect, it } from "vitest";
import { keyOfResource, waitsFor } from "../test-support/graph.js";
import { ofType, one, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { PRINCIPAL_REPLICATION_DELAY } from "./cosmos.js";

renderBeforeAll("prod", stackFileConfig());

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const ROLE = "azure-native:authorization:RoleAssignment";
const COSMOS_ROLE = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";
const CONTAINER = "azure-native:cosmosdb:SqlResourceSqlContainer";
const CLUSTER = keyOf("azure-native:resources:Resource", "aks-cluster");
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";
/** The key of the read of CRD `crd`. */
const readOf = (crd: string) => keyOfResource(ofType(CRD).find((r) => r.readsId === crd)!);
const byName = (type: string, name: string) => keyOf(type, name);

describe("first deploy: what each workload waits for", () => {
  const deployments = () => ofType("kubernetes:apps/v1:Deployment");

  it("each serving Deployment waits for its identity's federated credential and Cosmos data role", () => {
    // champion, challenger, the GARCH service
    expect(deployments()).toHaveLength(3);
    for (const d of deployments()) {
      const waits = waitsFor(d);
      const { name: variant, namespace } = d.inputs.metadata as { name: string; namespace: string };
      expect(waits, variant).toContain(byName(FIC, `identity-serving-${namespace}-${variant}`));
      expect(waits, variant).toContain(byName(COSMOS_ROLE, "cosmos-data-serving"));
      expect(waits, variant).toContain(byName(ROLE, "registry-pull-kubelet"));
    }
  });

  it("each serving Deployment waits for every Cosmos container of the layout (data roles cannot create them)", () => {
    for (const d of deployments()) {
      const waits = waitsFor(d);
      for (const c of Object.values(COSMOS_LAYOUT.containers)) {
        expect(waits, `${d.name} ${c.id}`).toContain(byName(CONTAINER, `cosmos-${c.id}`));
      }
    }
  });

  it("reads the CRD of every custom kind it creates, after the cluster whose add-ons install them", () => {
    const reads = ofType(CRD);
    // prod: KEDA, the Key Vault secret mounts, Gateway API on the gateway plane, its DNS records
    expect(reads.map((r) => r.readsId).sort()).toEqual([
      "clusterexternaldnses.approuting.kubernetes.azure.com",
      "gateways.gateway.networking.k8s.io",
      "httproutes.gateway.networking.k8s.io",
      "scaledobjects.keda.sh",
      "secretproviderclasses.secrets-store.csi.x-k8s.io",
      "triggerauthentications.keda.sh",
    ]);
    for (const read of reads) {
      expect(waitsFor(read), read.name).toContain(CLUSTER);
      validateObject(read.type, read.inputs);
    }
  });

  it("every custom resource waits for the read of its own CRD (so never for an add-on still installing)", () => {
    const custom = registered.filter(
      (r) =>
        r.type.startsWith("kubernetes:") &&
        r.type !== CRD &&
        !/^kubernetes:(core|apps|policy|networking\.k8s\.io|autoscaling)\//.test(r.type),
    );
    expect(custom.map((r) => r.type).sort()).toEqual(
      expect.arrayContaining([
        "kubernetes:keda.sh/v1alpha1:ScaledObject",
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
        "kubernetes:gateway.networking.k8s.io/v1:Gateway",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        "kubernetes:approuting.kubernetes.azure.com/v1alpha1:ClusterExternalDNS",
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
      ]),
    );
    for (const r of custom) {
      const kind = `${r.inputs.apiVersion}/${r.inputs.kind}` as keyof typeof ADDON_CRDS;
      expect(ADDON_CRDS[kind], `${r.name}: ${kind} has no CRD entry`).toBeDefined();
      expect(waitsFor(r), r.name).toContain(readOf(ADDON_CRDS[kind].crd));
    }
  });

  it("patches the KEDA add-on's own objects only once the add-on serves its CRDs", () => {
    for (const name of ["keda-operator-service-account", "keda-operator-restart"]) {
      const patch = registered.find((r) => r.name === name)!;
      expect(waitsFor(patch), name).toContain(readOf("scaledobjects.keda.sh"));
    }
  });

  it("the scalers wait for the KEDA operator's identity: credential, Prometheus reader role, annotation", () => {
    for (const so of ofType("kubernetes:keda.sh/v1alpha1:ScaledObject")) {
      const waits = waitsFor(so);
      expect(waits).toContain(byName(FIC, "identity-autoscaler-kube-system-keda-operator"));
      expect(waits).toContain(byName(ROLE, "identity-autoscaler-prometheus-reader"));
      expect(waits).toContain(
        byName("kubernetes:core/v1:ServiceAccountPatch", "keda-operator-service-account"),
      );
    }
  });

  it("the Gateway's edge objects wait for the edge identity's certificate and DNS roles", () => {
    const dns = one(
      "kubernetes:approuting.kubernetes.azure.com/v1alpha1:ClusterExternalDNS",
      "serving-ingress-dns",
    );
    const waits = waitsFor(dns);
    expect(waits).toContain(byName(ROLE, "edge-certificate-reader"));
    expect(waits).toContain(byName(ROLE, "edge-dns-writer"));
    expect(waits).toContain(byName(FIC, "identity-edge-serving-gateway-serving-ingress-edge"));
  });
});

describe("Cosmos data roles for just-created identities (pulumi-azure-native#2816)", () => {
  it("asks Cosmos DB about each principal only after its replication delay, keyed on the principal", () => {
    const assignments = ofType(COSMOS_ROLE);
    // serving, training; the pipeline's build and deploy jobs
    expect(assignments).toHaveLength(4);
    for (const assignment of assignments) {
      const delay = one("time:index/sleep:Sleep", `${assignment.name}-replication`);
      expect(delay.inputs).toEqual({
        createDuration: PRINCIPAL_REPLICATION_DELAY,
        triggers: { principalId: assignment.inputs.principalId },
      });
      expect(assignment.dependencies, assignment.name).toContain(keyOfResource(delay));
      // The delay starts with the identity, beside the account's creation, not after it.
      const waits = waitsFor(delay);
      expect(
        [...waits].some((k) => k.startsWith("azure-native:managedidentity:UserAssignedIdentity::")),
        assignment.name,
      ).toBe(true);
      expect(waits).not.toContain(
        byName("azure-native:cosmosdb:DatabaseAccount", "cosmos-account"),
      );
    }
  });
});

describe("KEDA with workload identity", () => {
  it("annotates the add-on's keda-operator ServiceAccount with the autoscaler identity", () => {
    const patch = one("kubernetes:core/v1:ServiceAccountPatch", "keda-operator-service-account");
    expect(patch.inputs.metadata).toEqual({
      name: "keda-operator",
      namespace: "kube-system",
      annotations: {
        "pulumi.com/patchForce": "true",
        "azure.workload.identity/client-id": "identity-autoscaler-client-id",
      },
    });
    validateObject(patch.type, patch.inputs);
  });

  it("restarts the operator when that identity changes, after the annotation", () => {
    const restart = one("kubernetes:apps/v1:DeploymentPatch", "keda-operator-restart");
    expect(restart.inputs.metadata).toMatchObject({
      name: "keda-operator",
      namespace: "kube-system",
    });
    expect(restart.inputs.spec.template.metadata.annotations).toEqual({
      [IDENTITY_RESTART_ANNOTATION]: "identity-autoscaler-client-id",
    });
    expect(waitsFor(restart)).toContain(
      keyOf("kubernetes:core/v1:ServiceAccountPatch", "keda-operator-service-account"),
    );
    validateObject(restart.type, restart.inputs);
    expect(() =>
      validateObject(restart.type, { ...restart.inputs, spec: { replicas: 3 } }),
    ).toThrow(/may only set spec\.template\.metadata/);
  });

  it("authenticates every trigger with azure-workload and that identity, and sets a fallback", () => {
    for (const ta of ofType("kubernetes:keda.sh/v1alpha1:TriggerAuthentication")) {
      expect(ta.inputs.spec).toEqual({
        podIdentity: { provider: "azure-workload", identityId: "identity-autoscaler-client-id" },
      });
    }
    for (const so of ofType("kubernetes:keda.sh/v1alpha1:ScaledObject")) {
      expect(so.inputs.spec.fallback).toEqual({ failureThreshold: 3, replicas: 20 });
    }
  });
});
