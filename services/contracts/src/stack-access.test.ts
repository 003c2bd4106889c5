import { describe, expect, it } from "vitest";
import {
  ApiServerAccessSchema,
  AzureDevOpsSchema,
  ClusterAdminsSchema,
  MAX_AUTHORIZED_RANGES,
  MAX_CLUSTER_ADMINS,
} from "./stack-access.js";
import { parseStackConfig } from "./stack-parse.js";

const issues = (value: unknown) =>
  ApiServerAccessSchema.safeParse(value).error?.issues.map(
    (i) => `${i.path.join(".")}: ${i.message}`,
  );

describe("ApiServerAccessSchema", () => {
  it("accepts a private API server or a list of authorized ranges", () => {
    expect(ApiServerAccessSchema.parse({ access: "private" })).toEqual({ access: "private" });
    expect(
      ApiServerAccessSchema.parse({
        access: "authorizedIpRanges",
        authorizedIpRanges: ["203.0.113.0/28", "198.51.100.17/32"],
      }),
    ).toEqual({
      access: "authorizedIpRanges",
      authorizedIpRanges: ["203.0.113.0/28", "198.51.100.17/32"],
    });
  });

  it("refuses an empty list, a range open to everyone and malformed ranges, naming the entry", () => {
    expect(issues({ access: "authorizedIpRanges", authorizedIpRanges: [] })).toEqual([
      "authorizedIpRanges: needs at least one range (the runners' and the platform team's egress)",
    ]);
    expect(
      issues({ access: "authorizedIpRanges", authorizedIpRanges: ["203.0.113.0/28", "0.0.0.0/0"] }),
    ).toEqual([
      "authorizedIpRanges.1: must not be a /0 range: that is a public API server with extra steps",
    ]);
    expect(
      issues({ access: "authorizedIpRanges", authorizedIpRanges: ["203.0.113.1/28"] }),
    ).toEqual(["authorizedIpRanges.0: must be an IPv4 CIDR such as 203.0.113.0/28"]);
  });

  it("refuses more ranges than AKS accepts, and a public API server without ranges", () => {
    const ranges = Array.from({ length: MAX_AUTHORIZED_RANGES + 1 }, (_, i) => `10.${i}.0.0/16`);
    expect(issues({ access: "authorizedIpRanges", authorizedIpRanges: ranges })).toEqual([
      "authorizedIpRanges: AKS accepts at most 200 ranges",
    ]);
    expect(issues({ access: "public" })?.[0]).toMatch(/^access: /);
  });
});

describe("ClusterAdminsSchema", () => {
  const admin = (n: number) => `6f1c2a9e-4b7d-4e0a-9c3f-${String(n).padStart(12, "0")}`;
  const issuesOf = (value: unknown) =>
    ClusterAdminsSchema.safeParse(value).error?.issues.map(
      (i) => `${i.path.join(".")}: ${i.message}`,
    );

  it("takes users' and groups' Entra object ids, lowercased, and none by default", () => {
    expect(ClusterAdminsSchema.parse(undefined)).toEqual({ users: [], groups: [] });
    expect(
      ClusterAdminsSchema.parse({ users: [admin(1), admin(2).toUpperCase()], groups: [admin(3)] }),
    ).toEqual({ users: [admin(1), admin(2)], groups: [admin(3)] });
  });

  it("refuses what is not a GUID and an id listed twice (in any case, in either list), naming the entry", () => {
    expect(issuesOf({ users: [admin(1), "alice@contoso.com"] })).toEqual([
      "users.1: must be an Entra object id (a GUID)",
    ]);
    expect(
      issuesOf({ users: [admin(1), admin(2)], groups: [admin(3), admin(1).toUpperCase()] }),
    ).toEqual([`groups.1: repeats ${admin(1)}, listed at users.0`]);
  });

  it("refuses more principals than a team without a group should list", () => {
    const half = MAX_CLUSTER_ADMINS / 2;
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => admin(from + i));
    expect(issuesOf({ users: ids(0, half), groups: ids(half, half) })).toBeUndefined();
    expect(issuesOf({ users: ids(0, half), groups: ids(half, half + 1) })).toEqual([
      ": lists at most 20 users and groups together: list a group for a larger team",
    ]);
  });

  it("is the stack key aks.clusterAdmins, whose errors name the key", () => {
    const source = (clusterAdmins: unknown) => ({
      get: (key: string) =>
        key === "aks"
          ? JSON.stringify({
              systemPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
              userPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
              clusterAdmins,
            })
          : undefined,
      location: () => "westeurope",
    });
    expect(() => parseStackConfig(source({ groups: ["platform-team"] }), "mlops-platform")).toThrow(
      "mlops-platform:aks.clusterAdmins.groups.0: must be an Entra object id (a GUID)",
    );
    expect(() => parseStackConfig(source({ owners: [admin(1)] }), "mlops-platform")).toThrow(
      "mlops-platform:aks.clusterAdmins.owners: is not a setting of this program",
    );
  });
});

/**
 * The two forms of a service connection's federated credential, as Azure DevOps documents them
 * (learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity, "Check the
 * issuer URL for accuracy"): the Microsoft Entra issuer's subject
 * `<microsoft entra prefix>/sc/<organization id>/<service connection id>`, and the Azure DevOps
 * issuer's `sc://<organization name>/<project name>/<service connection name>`, which Microsoft
 * retires on 2027-07-01 (learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections).
 */
describe("AzureDevOpsSchema", () => {
  const ORG = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
  const CONNECTION = "7e1b4c2a-9d3f-4e8b-a6c5-2f0d1e9b8a71";
  /** An Entra-issuer subject as a service connection shows it (the prefix is Entra's, opaque). */
  const entra = (org = ORG, connection = CONNECTION) =>
    `/eid1/c/pub/t/AbCdEfGhIjKlMnOpQrStUv/a/QrStUvWxYz0123456789Ab/sc/${org}/${connection}`;
  const issues = (value: unknown) =>
    AzureDevOpsSchema.safeParse(value).error?.issues.map(
      (i) => `${i.path.join(".")}: ${i.message}`,
    );
  const deploying = (subject: string) => ({
    organizationId: ORG,
    serviceConnections: { deploy: subject },
  });

  it("reads each role's subject as copied, with the issuer its form tells", () => {
    expect(
      AzureDevOpsSchema.parse({
        organizationId: ORG,
        serviceConnections: { build: "sc://contoso/MLOps Platform/mlops-build", deploy: entra() },
      }),
    ).toEqual({
      organizationId: ORG,
      serviceConnections: {
        build: { issuer: "azureDevOps", subject: "sc://contoso/MLOps Platform/mlops-build" },
        deploy: { issuer: "entra", organizationId: ORG, subject: entra() },
      },
    });
  });

  it("keeps a subject exactly as given: Entra ID matches it exactly", () => {
    const subject = entra(ORG.toUpperCase());
    expect(AzureDevOpsSchema.parse(deploying(subject)).serviceConnections.deploy?.subject).toBe(
      subject,
    );
  });

  it("refuses what is neither form, and an Entra subject whose ids are not GUIDs", () => {
    const neither =
      "serviceConnections.deploy: must be the service connection's subject identifier as Azure DevOps shows it: <microsoft entra prefix>/sc/<organization id>/<service connection id> (Entra issuer), or sc://<organization>/<project>/<service connection> (Azure DevOps issuer)";
    for (const subject of [
      "mlops-prod",
      "repo:contoso/mlops-platform:environment:production",
      entra(ORG, "mlops-prod"),
      entra("contoso"),
      `${entra()} `,
      "sc://contoso/mlops-platform",
    ]) {
      expect(issues(deploying(subject)), subject).toEqual([neither]);
    }
  });

  // Organization names: learn.microsoft.com/azure/devops/organizations/accounts/rename-organization.
  it("refuses an Azure DevOps subject whose organization name breaks the naming rules", () => {
    for (const organization of [
      "",
      "-contoso",
      "contoso-",
      "con.toso",
      "contosø",
      "a".repeat(51),
    ]) {
      expect(issues(deploying(`sc://${organization}/mlops/mlops-prod`)), organization).toEqual([
        `serviceConnections.deploy: names organization '${organization}': an organization name is 1-50 English letters, digits or hyphens, starting and ending with a letter or digit`,
      ]);
    }
    expect(issues(deploying(`sc://${"a".repeat(50)}/mlops/mlops-prod`))).toBeUndefined();
  });

  // Project names: learn.microsoft.com/azure/devops/organizations/settings/naming-restrictions.
  it("refuses an Azure DevOps subject whose project name breaks the naming rules, saying which", () => {
    const problem = (project: string) =>
      issues(deploying(`sc://contoso/${project}/mlops-prod`))?.[0]?.replace(
        `serviceConnections.deploy: names project '${project}', which `,
        "",
      );
    expect(problem("")).toBe("is empty");
    expect(problem("p".repeat(65))).toBe("has more than 64 characters");
    for (const project of ["ml:ops", "ml#ops", "ml,ops", "ml[ops]", "ml\tops"]) {
      expect(problem(project), project).toMatch(/^contains a character project names exclude/);
    }
    for (const project of ["_mlops", ".mlops", "mlops."]) {
      expect(problem(project), project).toBe("starts with '_' or '.', or ends with '.'");
    }
    for (const project of ["COM1", "lpt9", "DefaultCollection", "web.config", "App_Data"]) {
      expect(problem(project), project).toBe("is a reserved name");
    }
    expect(issues(deploying(`sc://contoso/${"p".repeat(64)}/mlops-prod`))).toBeUndefined();
  });

  it("refuses an Azure DevOps subject without a service connection name, or one with spaces around it", () => {
    for (const connection of ["", " mlops-prod", "mlops-prod "]) {
      expect(issues(deploying(`sc://contoso/mlops/${connection}`)), connection).toEqual([
        "serviceConnections.deploy: must end in the service connection's name, without surrounding spaces or control characters",
      ]);
    }
  });

  it("refuses a subject longer than a federated credential takes (600 characters)", () => {
    const subject = `sc://contoso/mlops/${"c".repeat(600 - "sc://contoso/mlops/".length)}`;
    expect(issues(deploying(subject))).toBeUndefined();
    expect(issues(deploying(`${subject}c`))).toEqual([
      "serviceConnections.deploy: has more than 600 characters, the most a federated credential takes",
    ]);
  });

  it("refuses an organization id that is not a GUID, and an Entra subject of another organization", () => {
    expect(issues({ organizationId: "contoso", serviceConnections: { deploy: entra() } })).toEqual([
      "organizationId: must be the Azure DevOps organization's id (a GUID)",
    ]);
    const other = "11111111-2222-4333-8444-555555555555";
    expect(issues(deploying(entra(other)))).toEqual([
      `serviceConnections.deploy: names organization ${other}, not organizationId ${ORG}`,
    ]);
  });

  it("needs a connection, and refuses one subject for two identities or a role the pipeline lacks", () => {
    expect(issues({ organizationId: ORG, serviceConnections: {} })).toEqual([
      "serviceConnections: needs at least one of preview, build, deploy",
    ]);
    expect(
      issues({ organizationId: ORG, serviceConnections: { build: entra(), deploy: entra() } }),
    ).toEqual([
      "serviceConnections.deploy: repeats the subject of build: a service connection signs in as one identity",
    ]);
    const source = (serviceConnections: unknown) => ({
      get: (key: string) =>
        key === "pipeline"
          ? JSON.stringify({
              repository: "contoso/mlops-platform",
              azureDevOps: { organizationId: ORG, serviceConnections },
            })
          : undefined,
      location: () => "westeurope",
    });
    expect(() => parseStackConfig(source({ release: entra() }), "mlops-platform")).toThrow(
      "mlops-platform:pipeline.azureDevOps.serviceConnections.release: is not a setting of this program",
    );
  });
});
