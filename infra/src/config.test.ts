/**
 * The stack config schema (`@mlops/contracts`, stack-parse.ts) over the shipped prod stack as
 * Pulumi hands it to this program.
 */
import {
  certificateUri,
  parseStackConfig,
  type StackConfig,
  StackConfigError,
} from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { stackFileConfig } from "../test-support/stack-config.js";

const PROJECT = "mlops-platform";

/** A ConfigSource over the shipped prod stack file, with `overrides` applied (undefined deletes). */
function source(overrides: Record<string, string | undefined> = {}) {
  const values: Record<string, string | undefined> = { ...stackFileConfig(), ...overrides };
  return {
    get: (key: string) => values[`${PROJECT}:${key}`],
    location: () => values["azure-native:location"],
    keys: () =>
      Object.keys(values)
        .filter((key) => key.startsWith(`${PROJECT}:`) && values[key] !== undefined)
        .map((key) => key.slice(PROJECT.length + 1)),
  };
}

function parse(overrides: Record<string, string | undefined>): StackConfig {
  return parseStackConfig(source(overrides), PROJECT);
}

/** The JSON Pulumi stores for the prod `key`, with `patch` merged into it. */
function patched(key: string, patch: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(stackFileConfig()[`${PROJECT}:${key}`]), ...patch });
}

describe("parseStackConfig", () => {
  it("accepts the shipped prod stack and applies defaults", () => {
    const cfg = parse({});
    expect(cfg.location).toBe("westeurope");
    expect(cfg.privateNetworking).toBe(true);
    expect(cfg.cosmos).toEqual({ capacity: "autoscale", maxThroughput: 4000 });
    expect(cfg.ml.minNodes).toBe(0);
  });

  it("names a missing key and says it is required", () => {
    expect(() => parse({ [`${PROJECT}:owner`]: undefined })).toThrow(
      /mlops-platform:owner: is required/,
    );
    expect(() => parse({ "azure-native:location": undefined })).toThrow(
      /azure-native:location: is required/,
    );
  });

  // Azure's regions list (regions.ts): the AKS pools spread over zones 1-3, which these lack.
  it.each(["westus", "northcentralus", "ukwest", "westcentralus"])(
    "refuses %s, a region without availability zones",
    (region) => {
      expect(() => parse({ "azure-native:location": region })).toThrow(
        /azure-native:location: must be a region with availability zones: every node pool spreads over zones 1, 2 and 3/,
      );
    },
  );

  it("takes regions with zones, and names it does not know", () => {
    for (const region of ["westeurope", "eastus2", "swedencentral", "newregion"]) {
      expect(parse({ "azure-native:location": region }).location).toBe(region);
    }
  });

  it("names a key of the wrong type", () => {
    expect(() => parse({ [`${PROJECT}:ml`]: patched("ml", { maxNodes: "eight" }) })).toThrow(
      /mlops-platform:ml\.maxNodes: .*expected number/,
    );
    expect(() => parse({ [`${PROJECT}:privateNetworking`]: "yes" })).toThrow(
      /mlops-platform:privateNetworking: .*expected boolean/,
    );
  });

  it("reads the GARCH service and the alert webhooks, naming a bad key", () => {
    const cfg = parse({});
    expect(cfg.garch).toMatchObject({
      host: "garch.mlops.contoso.com",
      minReplicas: 2,
      maxReplicas: 10,
    });
    expect(cfg.alertWebhooks.map((w) => w.name)).toEqual(["incident-management"]);
    expect(parse({ [`${PROJECT}:garch`]: undefined }).garch).toBeUndefined();
    expect(() => parse({ [`${PROJECT}:garch`]: patched("garch", { minReplicas: 11 }) })).toThrow(
      /mlops-platform:garch\.minReplicas: minReplicas must not exceed maxReplicas/,
    );
    expect(() => parse({ [`${PROJECT}:garch`]: patched("garch", { model: "dem2gbp" }) })).toThrow(
      /mlops-platform:garch\.model: /,
    );
    // With TLS on, the GARCH host gets its own certificate and a record in the same zone.
    expect(() =>
      parse({ [`${PROJECT}:garch`]: patched("garch", { certificateName: undefined }) }),
    ).toThrow(/mlops-platform:garch\.certificateName: with serving\.tls on/);
    expect(() =>
      parse({ [`${PROJECT}:garch`]: patched("garch", { host: "garch.example.org" }) }),
    ).toThrow(/mlops-platform:garch\.host: host must lie in the DNS zone/);
    expect(() =>
      parse({
        [`${PROJECT}:alertWebhooks`]: JSON.stringify([{ name: "x", url: "http://plain.example" }]),
      }),
    ).toThrow(/mlops-platform:alertWebhooks\.0\.url: must be an https URL/);
  });

  it("keeps a string that looks like a number or a boolean a string", () => {
    // Pulumi hands every value over as text: `owner: "1234"` arrives as 1234, as a number would.
    // Old decode() retyped it to the number 1234, and "true" to a boolean; `owner` wants a string.
    for (const owner of ["1234", "true", "null"]) {
      expect(parse({ [`${PROJECT}:owner`]: owner }).owner).toBe(owner);
    }
    // Number and boolean keys still read their text, as Pulumi's getNumber and getBoolean do.
    const cfg = parse({
      [`${PROJECT}:logRetentionDays`]: "60",
      [`${PROJECT}:privateNetworking`]: "false",
    });
    expect(cfg.logRetentionDays).toBe(60);
    expect(cfg.privateNetworking).toBe(false);
    // Inside an object (JSON text) a quoted all-digit tag or id stays a string too.
    const serving = parse({
      [`${PROJECT}:serving`]: patched("serving", {
        experimentId: "1234",
        championImageTag: "20261207",
      }),
    }).serving;
    expect(serving.experimentId).toBe("1234");
    expect(serving.championImageTag).toBe("20261207");
  });

  // Azure docs, "Azure virtual machine sizes naming conventions"
  // (learn.microsoft.com/azure/virtual-machines/vm-naming-conventions).
  it("names a VM size that is not an Azure size name", () => {
    const aks = JSON.parse(stackFileConfig()[`${PROJECT}:aks`]);
    aks.userPool = { ...aks.userPool, vmSize: "d8ds-v5" };
    expect(() => parse({ [`${PROJECT}:aks`]: JSON.stringify(aks) })).toThrow(
      /mlops-platform:aks\.userPool\.vmSize: must be an Azure VM size name such as Standard_D4ds_v5/,
    );
    expect(() => parse({ [`${PROJECT}:ml`]: patched("ml", { vmSize: "large" }) })).toThrow(
      /mlops-platform:ml\.vmSize: must be an Azure VM size name/,
    );
  });

  // Azure CNI Overlay: only nodes take node-subnet addresses ("Configure Azure CNI Overlay
  // networking in AKS", learn.microsoft.com/azure/aks/azure-cni-overlay); Azure keeps the first
  // four and the last address of every subnet ("Azure Virtual Network FAQ",
  // learn.microsoft.com/azure/virtual-network/virtual-networks-faq); a percentage maxSurge
  // rounds fractional nodes up (ARM AgentPoolUpgradeSettings.maxSurge; "Capacity and cost planning
  // for AKS upgrades", learn.microsoft.com/azure/aks/upgrade-capacity-cost-planning).
  it("refuses a node subnet too small for both pools at their maximum plus upgrade surge", () => {
    const aks = JSON.parse(stackFileConfig()[`${PROJECT}:aks`]);
    // /27: 32 - 5 = 27 usable. Pools of 5 and 15 nodes surge by 2 and 5 (1.65 and 4.95 rounded
    // up): 27 fit exactly; 6 system nodes (surge 2) need 28.
    const withPools = (system: number, user: number) => ({
      [`${PROJECT}:network`]: patched("network", { aksSubnet: "10.40.0.0/27" }),
      [`${PROJECT}:aks`]: JSON.stringify({
        ...aks,
        systemPool: { ...aks.systemPool, maxCount: system },
        userPool: { ...aks.userPool, maxCount: user },
      }),
    });
    expect(parse(withPools(5, 15)).network.aksSubnet).toBe("10.40.0.0/27");
    expect(() => parse(withPools(6, 15))).toThrow(
      /mlops-platform:network\.aksSubnet: has 27 usable addresses \(Azure keeps 5 per subnet\) but the node pools need 28: each pool's maxCount plus its 33 % upgrade surge/,
    );
  });

  it("refuses one host for the prediction API and the GARCH service", () => {
    expect(() =>
      parse({ [`${PROJECT}:garch`]: patched("garch", { host: "predict.mlops.contoso.com" }) }),
    ).toThrow(/mlops-platform:garch\.host: must differ from serving\.host/);
  });

  it("caps the serving replicas per arm, and keeps them above the minimum", () => {
    expect(
      parse({ [`${PROJECT}:serving`]: patched("serving", { maxReplicas: 100 }) }).serving,
    ).toMatchObject({ maxReplicas: 100 });
    expect(() =>
      parse({ [`${PROJECT}:serving`]: patched("serving", { maxReplicas: 101 }) }),
    ).toThrow(/mlops-platform:serving\.maxReplicas: must be at most 100 per arm/);
    expect(() =>
      parse({ [`${PROJECT}:serving`]: patched("serving", { minReplicas: 30, maxReplicas: 20 }) }),
    ).toThrow(/mlops-platform:serving\.minReplicas: minReplicas must not exceed maxReplicas/);
  });

  it("takes a per-pod target no smaller than a Kubernetes quantity can carry (1m)", () => {
    expect(
      parse({ [`${PROJECT}:serving`]: patched("serving", { targetRequestsPerSecond: 0.001 }) })
        .serving,
    ).toMatchObject({ targetRequestsPerSecond: 0.001 });
    expect(() =>
      parse({ [`${PROJECT}:serving`]: patched("serving", { targetRequestsPerSecond: 0.0004 }) }),
    ).toThrow(
      /mlops-platform:serving\.targetRequestsPerSecond: must be at least 0\.001 \(one milli-request a second\)/,
    );
  });

  it("rejects a canary weight of 150", () => {
    expect(() =>
      parse({ [`${PROJECT}:serving`]: patched("serving", { canaryWeight: 150 }) }),
    ).toThrow(/mlops-platform:serving\.canaryWeight: .*<=100/);
  });

  it("rejects more minimum than maximum nodes", () => {
    expect(() => parse({ [`${PROJECT}:ml`]: patched("ml", { minNodes: 9, maxNodes: 8 }) })).toThrow(
      /mlops-platform:ml\.minNodes: minNodes must not exceed maxNodes/,
    );
    const aks = JSON.parse(stackFileConfig()[`${PROJECT}:aks`]);
    aks.userPool = { ...aks.userPool, minCount: 20, maxCount: 12 };
    expect(() => parse({ [`${PROJECT}:aks`]: JSON.stringify(aks) })).toThrow(
      /mlops-platform:aks\.userPool\.maxCount: minCount must not exceed maxCount/,
    );
  });

  it("rejects overlapping ranges, moving image tags and unpinned models, naming each key", () => {
    let error: unknown;
    try {
      parse({
        [`${PROJECT}:network`]: patched("network", { mlSubnet: "10.40.0.0/22" }),
        [`${PROJECT}:serving`]: patched("serving", {
          championImageTag: "latest",
          challengerModel: "classifier",
        }),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/mlops-platform:network\.mlSubnet: must not overlap aksSubnet/);
    expect(message).toMatch(
      /mlops-platform:serving\.championImageTag: must be an immutable image tag/,
    );
    expect(message).toMatch(/mlops-platform:serving\.challengerModel: must pin a version or alias/);
  });

  it("refuses a key it does not read, at any depth, rather than keep the default", () => {
    let error: unknown;
    try {
      parse({
        [`${PROJECT}:netwrok`]: JSON.stringify({ addressSpace: "10.99.0.0/16" }),
        [`${PROJECT}:serving`]: patched("serving", { canaryWieght: 50 }),
        [`${PROJECT}:cosmos`]: JSON.stringify({ capacity: "serverless", maxThroughput: 4000 }),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    const message = (error as Error).message;
    for (const key of ["netwrok", "serving.canaryWieght", "cosmos.maxThroughput"]) {
      expect(message).toContain(
        `mlops-platform:${key}: is not a setting of this program (misspelt, or left over?)`,
      );
    }
  });

  it("names a bad DNS service address, and pod and service ranges that overlap", () => {
    const issues = (network: Record<string, unknown>) => {
      try {
        parse({ [`${PROJECT}:network`]: patched("network", network) });
      } catch (e) {
        expect(e).toBeInstanceOf(StackConfigError);
        return (e as Error).message;
      }
      return "accepted";
    };
    for (const dns of ["abc", "999.16.0.10", "172.16.0.10 ", "2001:db8::10"]) {
      expect(issues({ dnsServiceIp: dns }), dns).toMatch(/mlops-platform:network\.dnsServiceIp: /);
    }
    for (const dns of ["172.16.0.0", "172.16.0.1"]) {
      expect(issues({ dnsServiceIp: dns }), dns).toMatch(
        /network\.dnsServiceIp: must not be one of the first two addresses of serviceCidr 172\.16\.0\.0\/16/,
      );
    }
    expect(issues({ dnsServiceIp: "172.16.0.2" })).toBe("accepted");
    expect(issues({ podCidr: "172.16.0.0/12" })).toMatch(
      /network\.serviceCidr: must not overlap podCidr 172\.16\.0\.0\/12/,
    );
  });

  it("reads the pipeline's repository with defaults, and names a bad one or an overlapping runner subnet", () => {
    expect(parse({}).pipeline).toEqual({
      repository: "contoso/mlops-platform",
      environment: "production",
      branch: "main",
    });
    expect(parse({ [`${PROJECT}:pipeline`]: undefined }).pipeline).toBeUndefined();
    expect(() =>
      parse({ [`${PROJECT}:pipeline`]: JSON.stringify({ repository: "mlops-platform" }) }),
    ).toThrow(/mlops-platform:pipeline\.repository: must be owner\/name of a GitHub repository/);
    expect(() =>
      parse({ [`${PROJECT}:network`]: patched("network", { runnerSubnet: "10.40.20.128/25" }) }),
    ).toThrow(/mlops-platform:network\.runnerSubnet: must not overlap endpointsSubnet/);
  });

  // Subject forms: learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity.
  it("reads the pipeline's Azure DevOps service connections, and names a bad one by its key", () => {
    const organizationId = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
    const withAzureDevOps = (azureDevOps: unknown) =>
      parse({ [`${PROJECT}:pipeline`]: patched("pipeline", { azureDevOps }) });
    expect(
      withAzureDevOps({
        organizationId,
        serviceConnections: { deploy: "sc://contoso/mlops-platform/mlops-prod" },
      }).pipeline?.azureDevOps,
    ).toEqual({
      organizationId,
      serviceConnections: {
        deploy: { issuer: "azureDevOps", subject: "sc://contoso/mlops-platform/mlops-prod" },
      },
    });
    expect(() =>
      withAzureDevOps({ organizationId, serviceConnections: { deploy: "mlops-prod" } }),
    ).toThrow(
      /mlops-platform:pipeline\.azureDevOps\.serviceConnections\.deploy: must be the service connection's subject identifier as Azure DevOps shows it/,
    );
    expect(() =>
      withAzureDevOps({
        organizationId: "contoso",
        serviceConnections: { deploy: "sc://contoso/mlops-platform/mlops-prod" },
      }),
    ).toThrow(
      /mlops-platform:pipeline\.azureDevOps\.organizationId: must be the Azure DevOps organization's id \(a GUID\)/,
    );
  });

  it("requires the API server's access to be chosen, and names a bad range", () => {
    expect(() => parse({ [`${PROJECT}:apiServer`]: undefined })).toThrow(
      /mlops-platform:apiServer: is required/,
    );
    expect(() =>
      parse({
        [`${PROJECT}:apiServer`]: patched("apiServer", { authorizedIpRanges: ["0.0.0.0/0"] }),
      }),
    ).toThrow(/mlops-platform:apiServer\.authorizedIpRanges\.0: must not be a \/0 range/);
  });

  it("makes a prod stack choose how callers authenticate", () => {
    expect(() => parse({ [`${PROJECT}:edgeAuth`]: undefined })).toThrow(
      /mlops-platform:edgeAuth: a prod stack must choose how callers authenticate/,
    );
    expect(
      parse({ [`${PROJECT}:edgeAuth`]: undefined, [`${PROJECT}:environment`]: "dev" }).edgeAuth,
    ).toBeUndefined();
    expect(() =>
      parse({ [`${PROJECT}:edgeAuth`]: JSON.stringify({ mode: "entra", tenantId: "t" }) }),
    ).toThrow(/mlops-platform:edgeAuth\.tenantId: must be the tenant's id/);
  });

  it("defaults the traffic split to the gateway and reads TLS as a certificate URI", () => {
    const serving = JSON.parse(stackFileConfig()[`${PROJECT}:serving`]);
    delete serving.trafficSplit;
    const cfg = parse({ [`${PROJECT}:serving`]: JSON.stringify(serving) });
    expect(cfg.serving.trafficSplit).toBe("gateway");
    expect(cfg.serving.tls !== "off" && certificateUri(cfg.serving.tls)).toBe(
      "https://kv-contoso-certs.vault.azure.net/certificates/predict-mlops-contoso-com",
    );
  });

  it("refuses a prod stack without TLS, and a stack that does not say", () => {
    expect(() => parse({ [`${PROJECT}:serving`]: patched("serving", { tls: "off" }) })).toThrow(
      /mlops-platform:serving\.tls: a prod stack needs a DNS zone and a Key Vault certificate/,
    );
    expect(() =>
      parse({
        [`${PROJECT}:environment`]: "dev",
        [`${PROJECT}:serving`]: patched("serving", { tls: "off" }),
      }),
    ).not.toThrow();
    const serving = JSON.parse(stackFileConfig()[`${PROJECT}:serving`]);
    delete serving.tls;
    expect(() => parse({ [`${PROJECT}:serving`]: JSON.stringify(serving) })).toThrow(
      /mlops-platform:serving\.tls: must be off or \{ dnsZoneId, certificateVaultId, certificateName \}/,
    );
  });

  it("checks the zone holds the host, the ids' kinds and the standby split", () => {
    const tls = JSON.parse(stackFileConfig()[`${PROJECT}:serving`]).tls;
    let message = "";
    try {
      parse({
        [`${PROJECT}:serving`]: patched("serving", {
          host: "predict.example.org",
          standbySplit: "gateway",
          tls: { ...tls, certificateVaultId: tls.dnsZoneId },
        }),
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /serving\.tls\.certificateVaultId: must be the resource id of a Microsoft\.KeyVault\/vaults resource/,
    );
    expect(message).toMatch(/serving\.standbySplit: standbySplit must differ from trafficSplit/);
    expect(() =>
      parse({ [`${PROJECT}:serving`]: patched("serving", { host: "predict.example.org" }) }),
    ).toThrow(/serving\.tls\.dnsZoneId: host must lie in the DNS zone of tls\.dnsZoneId/);
  });
});
