// Mocks first: resources must not be created before `setMocks` has run.
import { readdirSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdValidators } from "../test-support/crd-schema.js";
import { installMocks, keyOf, registered, settle, validateObject } from "../test-support/index.js";
import { mockProvider } from "../test-support/serving-stack-fixture.js";
import { ADDON_CRDS, AddonCrds, type AddonKind } from "./addon-crds.js";

installMocks({ project: "mlops", stack: "test" });

const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/** Every CRD file pinned under k8s/fixtures: its name and the kind it serves. */
function pinnedCrds(): { name: string; kind: string; group: string; versions: string[] }[] {
  const root = new URL("../fixtures/", import.meta.url);
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => {
      const text = readFileSync(new URL(f, root), "utf8")
        .split("\n")
        .filter((line) => !line.includes("{{"))
        .join("\n");
      const crd = parse(text) as {
        metadata: { name: string };
        spec: { group: string; names: { kind: string }; versions: { name: string }[] };
      };
      return {
        name: crd.metadata.name,
        kind: crd.spec.names.kind,
        group: crd.spec.group,
        versions: crd.spec.versions.map((v) => v.name),
      };
    });
}

describe("ADDON_CRDS", () => {
  it("names, for every custom kind the package validates, the CRD that serves it (as pinned)", () => {
    expect(Object.keys(ADDON_CRDS).sort()).toEqual([...crdValidators.keys()].sort());
    const pinned = pinnedCrds();
    for (const [kind, { crd }] of Object.entries(ADDON_CRDS)) {
      const [group, version, name] = [
        kind.slice(0, kind.indexOf("/")),
        kind.split("/").at(-2)!,
        kind.split("/").at(-1)!,
      ];
      const served = pinned.filter((p) => p.name === crd);
      expect(served.length, crd).toBeGreaterThan(0);
      for (const p of served) {
        expect(p, crd).toMatchObject({ kind: name, group });
        expect(p.versions, crd).toContain(version);
      }
    }
  });
});

describe("AddonCrds under mocks", () => {
  beforeAll(async () => {
    const provider = mockProvider();
    // What the reads must follow: the cluster (a component here, as AksCluster is).
    const cluster = new pulumi.ComponentResource("test:index:Cluster", "cluster");
    const kinds: AddonKind[] = [
      "keda.sh/v1alpha1/ScaledObject",
      "keda.sh/v1alpha1/TriggerAuthentication",
      "gateway.networking.k8s.io/v1/HTTPRoute",
      "keda.sh/v1alpha1/ScaledObject",
    ];
    new AddonCrds("crds", { provider, kinds }, { dependsOn: [cluster] });
    await settle();
  });

  it("reads each distinct CRD once, through the cluster's provider, after the cluster", () => {
    const reads = registered.filter((r) => r.type === CRD);
    expect(reads.map((r) => r.readsId).sort()).toEqual([
      "httproutes.gateway.networking.k8s.io",
      "scaledobjects.keda.sh",
      "triggerauthentications.keda.sh",
    ]);
    for (const r of reads) {
      expect(r.provider).toMatch(/::aks::/);
      expect(r.parent).toBe(keyOf("mlops:k8s:AddonCrds", "crds"));
      expect(r.dependencies).toContain(keyOf("test:index:Cluster", "cluster"));
      // A read applies nothing: the add-ons own their CRDs.
      expect(() => validateObject(r.type, r.inputs)).not.toThrow();
      expect(() => validateObject(r.type, { spec: {} })).toThrow(/only ever read/);
    }
  });
});
