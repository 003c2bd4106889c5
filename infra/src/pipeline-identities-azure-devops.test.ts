import { keyOf } from "@mlops/k8s/test-support";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { violations } from "../policy/rules.js";
import { PROJECT, TENANT } from "../test-support/azure-mocks.js";
import { ofType, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { AZURE_DEVOPS_ISSUER_RETIREMENT, GITHUB_OIDC_ISSUER } from "./pipeline-identities.js";

/**
 * The prod stack deployed from Azure DevOps too (`pipeline.azureDevOps`): the service connections'
 * federated credentials on the same identities as GitHub's, each with the issuer its subject's form
 * tells (learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity, "Check
 * the issuer URL for accuracy"; the Azure DevOps issuer retires on 2027-07-01:
 * learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections).
 */

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const ORGANIZATION_ID = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
/** A subject as an Entra-issued service connection shows it (the prefix is Entra's, opaque). */
const ENTRA_SUBJECT = `/eid1/c/pub/t/AbCdEfGhIjKlMnOpQrStUv/a/QrStUvWxYz0123456789Ab/sc/${ORGANIZATION_ID}/7e1b4c2a-9d3f-4e8b-a6c5-2f0d1e9b8a71`;
const LEGACY_SUBJECT = "sc://contoso/MLOps Platform/mlops-build";

/**
 * Most federated identity credentials Entra ID takes on one user-assigned managed identity
 * (learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations).
 */
const MAX_FEDERATED_CREDENTIALS = 20;

/** What the program prints, watched from the start (`pulumi.log.warn` under mocks). */
const consoleWarn = vi.spyOn(console, "warn");

const prod = stackFileConfig();
renderBeforeAll("prod", {
  ...prod,
  [`${PROJECT}:pipeline`]: JSON.stringify({
    ...JSON.parse(prod[`${PROJECT}:pipeline`]!),
    azureDevOps: {
      organizationId: ORGANIZATION_ID,
      serviceConnections: { build: LEGACY_SUBJECT, deploy: ENTRA_SUBJECT },
    },
  }),
});

let printed: string[] = [];
beforeAll(() => {
  printed = consoleWarn.mock.calls.map(([message]) => String(message));
});

/** The pipeline identities' federated credentials, by name: identity, issuer, subject. */
const pipelineCredentials = () =>
  ofType(FIC)
    .filter((r) => r.name.startsWith("pipeline-"))
    .map((r) => ({
      name: r.name,
      identity: r.inputs.resourceName,
      issuer: r.inputs.issuer,
      subject: r.inputs.subject,
      audiences: r.inputs.audiences,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

describe("the pipeline identities with Azure DevOps service connections", () => {
  it("federates each configured role's identity with its service connection, besides GitHub", () => {
    const github = (role: string, subject: string) => ({
      name: `pipeline-${role}-github`,
      identity: `pipeline-${role}`,
      issuer: GITHUB_OIDC_ISSUER,
      subject,
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(pipelineCredentials()).toEqual([
      {
        name: "pipeline-build-azure-devops",
        identity: "pipeline-build",
        issuer: `https://vstoken.dev.azure.com/${ORGANIZATION_ID}`,
        subject: LEGACY_SUBJECT,
        audiences: ["api://AzureADTokenExchange"],
      },
      github("build", "repo:contoso/mlops-platform:ref:refs/heads/main"),
      {
        name: "pipeline-deploy-azure-devops",
        identity: "pipeline-deploy",
        // The tenant of the identity (the deployer's, from the provider's client config).
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        subject: ENTRA_SUBJECT,
        audiences: ["api://AzureADTokenExchange"],
      },
      github("deploy", "repo:contoso/mlops-platform:environment:production"),
      github("preview", "repo:contoso/mlops-platform:pull_request"),
    ]);
  });

  // "Concurrent updates aren't supported": Azure answers 409 to parallel credential writes on one
  // identity (learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations).
  it("writes a service connection's credential after the GitHub one of the same identity", () => {
    for (const role of ["build", "deploy"]) {
      const credential = ofType(FIC).find((r) => r.name === `pipeline-${role}-azure-devops`)!;
      expect(credential.dependencies).toContain(keyOf(FIC, `pipeline-${role}-github`));
    }
  });

  it("keeps every identity of the estate within Entra ID's 20 federated credentials", () => {
    const perIdentity = new Map<string, number>();
    for (const r of ofType(FIC)) {
      const identity = String(r.inputs.resourceName);
      perIdentity.set(identity, (perIdentity.get(identity) ?? 0) + 1);
    }
    expect(perIdentity.get("pipeline-deploy")).toBe(2);
    for (const [identity, count] of perIdentity) {
      expect(count, identity).toBeLessThanOrEqual(MAX_FEDERATED_CREDENTIALS);
    }
  });

  it("warns once, naming the role, the date and the source, about a connection on the Azure DevOps issuer", () => {
    const warnings = printed.filter((m) => m.includes(AZURE_DEVOPS_ISSUER_RETIREMENT));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      `pipeline.azureDevOps.serviceConnections.build ${AZURE_DEVOPS_ISSUER_RETIREMENT}`,
    );
    expect(AZURE_DEVOPS_ISSUER_RETIREMENT).toMatch(/2027-07-01/);
    expect(AZURE_DEVOPS_ISSUER_RETIREMENT).toMatch(
      /learn\.microsoft\.com\/azure\/devops\/pipelines\/release\/convert-service-connections/,
    );
  });

  it("breaks none of the policies", () => {
    expect(violations(policyResources())).toEqual([]);
  });
});
