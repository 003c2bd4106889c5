/**
 * The whole stack config of the Pulumi program (`infra`), one key of `Pulumi.<stack>.yaml` per
 * field (`location` is `azure-native:location`, the rest `<project>:<key>`), with the rules that
 * span keys. The program parses its config with it (stack-parse.ts), and releases check a stack
 * file with it before they read or change one, so neither accepts a stack the other refuses.
 */
import { z } from "zod";
import { AksSizingSchema, EstateSizingSchema, GARCH_CONFIG_KEY } from "./estate-config.js";
import { REGIONS_WITHOUT_ZONES } from "./regions.js";
import {
  ApiServerAccessSchema,
  ClusterAdminsSchema,
  EdgeAuthSchema,
  PipelineSchema,
} from "./stack-access.js";
import { SERVING_CONFIG_KEY } from "./stack-config.js";
import { NetworkSchema, nodeSubnetShortfall } from "./stack-network.js";
import { inZone, ServingStackSchema } from "./stack-serving.js";

const AksSchema = AksSizingSchema.extend({
  /** Unset: AKS picks its default version, and the upgrade channel moves it. */
  kubernetesVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, "must look like 1.33 or 1.33.2")
    .optional(),
  upgradeChannel: z.enum(["patch", "stable", "rapid", "node-image"]).default("stable"),
  nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch", "Unmanaged"]).default("NodeImage"),
  /** Unset: cluster admin is held by the pipeline's deploy identity and a laptop run's caller. */
  clusterAdmins: ClusterAdminsSchema,
});

/** Log Analytics daily cap and monthly budget (infra/src/guardrails.ts puts them into effect). */
export const GuardrailsSchema = z.object({
  /**
   * GB per day Log Analytics ingests before it stops collecting billable data until the next
   * day. Meant as a ceiling for runaway volume, never to be reached in normal operation
   * (learn.microsoft.com/azure/azure-monitor/logs/daily-cap); an alert fires when it is.
   */
  logDailyCapGb: z.number().positive().max(100_000),
  /** Monthly cost budget of the estate, in the billing currency of the subscription. */
  monthlyBudget: z.number().positive().max(1_000_000_000),
});

/** An environment whose prediction API must not be open to anyone who finds it. */
const PROD_ENVIRONMENT = "prod";

/** The estate's sizing keys (shared with the cost estimate, estate-config.ts) and the rest. */
export const StackConfigSchema = EstateSizingSchema.extend({
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,15}$/, "must be 1–16 lowercase letters, digits or hyphens"),
  owner: z.string().min(1, "must name the owning team or person"),
  privateNetworking: z.boolean().default(true),
  /**
   * Bumped when a destroyed stack is created again, so no global name collides with a
   * soft-deleted vault still holding it (infra/src/names.ts, infra README "Recreate after
   * destroy").
   */
  generation: z.number().int().min(0).default(0),
  alertEmails: z.array(z.email()).min(1, "needs at least one address"),
  /**
   * Webhooks the action group calls besides the e-mails (an incident tool, a chat channel). A
   * URL that carries a token belongs in the stack as a secret (`pulumi config set --secret
   * --path`); the program hands every URL to Azure as a secret output either way.
   */
  alertWebhooks: z
    .array(
      z.object({
        name: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$/,
            "must be 1-64 letters, digits, spaces, '_' or '-'",
          ),
        url: z.url({ protocol: /^https$/, error: "must be an https URL" }),
      }),
    )
    .max(10)
    .default([]),
  network: NetworkSchema.prefault({}),
  aks: AksSchema,
  /** Required: a cluster API server open to the whole internet is never what a stack wants. */
  apiServer: ApiServerAccessSchema,
  [SERVING_CONFIG_KEY]: ServingStackSchema,
  /** Unset: no pipeline identities and no runner subnet (a stack nobody deploys from GitHub). */
  pipeline: PipelineSchema.optional(),
  /** Log Analytics daily cap and monthly budget: no stack goes without either. */
  guardrails: GuardrailsSchema,
  /** Who may call the prediction API: API keys in Key Vault or Entra ID tokens. */
  edgeAuth: EdgeAuthSchema.optional(),
})
  .refine((c) => !REGIONS_WITHOUT_ZONES.has(c.location), {
    message:
      "must be a region with availability zones: every node pool spreads over zones 1, 2 and 3 (regions.ts)",
    path: ["location"],
  })
  .refine((c) => c.environment !== PROD_ENVIRONMENT || c.serving.tls !== "off", {
    message:
      "a prod stack needs a DNS zone and a Key Vault certificate (tls: off is for dev stacks)",
    path: ["serving", "tls"],
  })
  .refine((c) => c.environment !== PROD_ENVIRONMENT || c.edgeAuth !== undefined, {
    message:
      "a prod stack must choose how callers authenticate: mode apiKeys (keys in Key Vault) or entra (tenantId, audience, appRole)",
    path: ["edgeAuth"],
  })
  .refine((c) => !c.garch || c.serving.tls === "off" || c.garch.certificateName !== undefined, {
    message: "with serving.tls on, the GARCH host needs its certificate (in the same vault)",
    path: [GARCH_CONFIG_KEY, "certificateName"],
  })
  .refine((c) => !c.garch || c.serving.tls === "off" || inZone(c.garch.host, c.serving.tls), {
    message: "host must lie in the DNS zone of serving.tls.dnsZoneId",
    path: [GARCH_CONFIG_KEY, "host"],
  })
  // Each host gets its own Gateway, routes and A record, and the GARCH paths overlap the API's:
  // one host would be two claims on one name, with either service answering its requests.
  .refine((c) => c.garch?.host !== c.serving.host, {
    message: "must differ from serving.host (one host cannot route to both services)",
    path: [GARCH_CONFIG_KEY, "host"],
  })
  .superRefine((c, ctx) => {
    const shortfall = nodeSubnetShortfall(c.network.aksSubnet, [c.aks.systemPool, c.aks.userPool]);
    if (shortfall !== undefined) {
      ctx.addIssue({ code: "custom", path: ["network", "aksSubnet"], message: shortfall });
    }
  });
export type StackConfig = z.infer<typeof StackConfigSchema>;
