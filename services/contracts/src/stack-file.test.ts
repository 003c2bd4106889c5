import { describe, expect, it } from "vitest";
import { checkStackFile, type StackFileConfig } from "./stack-file.js";
import { StackConfigError } from "./stack-parse.js";

const PROJECT = "demo";

/** A dev stack file's values as its YAML holds them: only what the schema requires. */
const DEV: StackFileConfig = {
  "azure-native:location": "swedencentral",
  "demo:environment": "dev",
  "demo:owner": "ml-team",
  "demo:logRetentionDays": 30,
  "demo:alertEmails": ["oncall@example.com"],
  "demo:alertWebhooks": [{ name: "chat", url: "https://chat.example.com/hook" }],
  "demo:aks": {
    systemPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
    userPool: { vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 },
  },
  "demo:ml": { vmSize: "Standard_D4s_v3", maxNodes: 2 },
  "demo:apiServer": { access: "private" },
  "demo:guardrails": { logDailyCapGb: 5, monthlyBudget: 500 },
  "demo:serving": {
    namespace: "serving",
    host: "predict.dev.example.com",
    championImageTag: "1.0.0",
    challengerImageTag: "1.0.1",
    championModel: "classifier@1",
    challengerModel: "classifier@2",
    experimentId: "classifier-1-vs-2",
    canaryWeight: 0,
    tls: "off",
  },
  // Another provider's namespace: not the program's to judge.
  "azure-native:subscriptionId": "00000000-0000-0000-0000-000000000000",
};

/** The StackConfigError `checkStackFile` throws for `config`, or "accepted". */
function verdict(config: StackFileConfig): string {
  try {
    checkStackFile(config, PROJECT);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  return "accepted";
}

const encrypted = { secure: "v1:c2VjcmV0:dG9rZW4=" };

describe("checkStackFile", () => {
  it("accepts a stack file the program accepts, numbers and booleans as Pulumi hands them", () => {
    expect(verdict(DEV)).toBe("accepted");
    expect(verdict({ ...DEV, "demo:privateNetworking": false, "demo:generation": 2 })).toBe(
      "accepted",
    );
  });

  it("names each key as `<namespace>:<key>` and the rule, as the program does", () => {
    expect(
      verdict({
        ...DEV,
        "azure-native:location": "westus",
        "demo:network": { podCidr: "172.16.0.0/12" },
        "demo:servng": {},
      }),
    ).toBe(
      [
        "invalid stack config:",
        "  demo:network.serviceCidr: must not overlap podCidr 172.16.0.0/12",
        "  azure-native:location: must be a region with availability zones: every node pool spreads over zones 1, 2 and 3 (regions.ts)",
        "  demo:servng: is not a setting of this program (misspelt, or left over?)",
      ].join("\n"),
    );
  });

  it("leaves encrypted values to the program, at the top or inside a value", () => {
    const webhook = { name: "chat", url: encrypted };
    expect(verdict({ ...DEV, "demo:alertWebhooks": [webhook], "demo:owner": encrypted })).toBe(
      "accepted",
    );
    // The rest of the value is still checked.
    expect(verdict({ ...DEV, "demo:alertWebhooks": [{ ...webhook, name: "" }] })).toBe(
      "invalid stack config:\n  demo:alertWebhooks.0.name: must be 1-64 letters, digits, spaces, '_' or '-'",
    );
  });
});
