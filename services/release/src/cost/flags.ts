/** What `mlops cost` accepts, validated at the edge: each error names the flag and its rule. */
import { join } from "node:path";
import { decimalText, parseOrThrow } from "@mlops/contracts";
import { z } from "zod";
import { type CostAssumptions, DEFAULT_ASSUMPTIONS } from "./estimate.js";

const amount = (max: number) => decimalText(z.number().min(0).max(max));

export const CostFlagsSchema = z
  .object({
    "--stack": z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be a stack name such as prod" })
      .optional(),
    "--stack-config": z.string().min(1).optional(),
    "--log-gb-per-day": amount(100_000).default(DEFAULT_ASSUMPTIONS.logGbPerDay),
    "--storage-gb": amount(10_000_000).default(DEFAULT_ASSUMPTIONS.storageGb),
    "--serverless-million-ru": amount(10_000_000).default(DEFAULT_ASSUMPTIONS.serverlessMillionRu),
  })
  .refine((f) => (f["--stack"] === undefined) !== (f["--stack-config"] === undefined), {
    error: "give exactly one of --stack <name> (Pulumi.<name>.yaml here) and --stack-config <file>",
    path: ["--stack"],
  });

/** The stack file and usage assumptions the flags name; `cwd` is where `--stack` looks. */
export function costOptions(
  raw: Partial<Record<keyof z.input<typeof CostFlagsSchema>, unknown>>,
  cwd: string,
): { file: string; assumptions: CostAssumptions } {
  const f = parseOrThrow(CostFlagsSchema, raw, "cost");
  return {
    file: f["--stack-config"] ?? join(cwd, `Pulumi.${f["--stack"]}.yaml`),
    assumptions: {
      logGbPerDay: f["--log-gb-per-day"],
      storageGb: f["--storage-gb"],
      serverlessMillionRu: f["--serverless-million-ru"],
    },
  };
}
