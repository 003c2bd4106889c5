/**
 * The current stack's config, read from Pulumi and parsed with the stack config schema
 * (`@mlops/contracts`, stack-schema.ts), which releases check stack files with too.
 */
import { parseStackConfig, type StackConfig } from "@mlops/contracts";
import * as pulumi from "@pulumi/pulumi";

/** Reads and validates the current stack's config from Pulumi. */
export function loadStackConfig(): StackConfig {
  const own = new pulumi.Config();
  const azure = new pulumi.Config("azure-native");
  const project = pulumi.getProject();
  const prefix = `${project}:`;
  return parseStackConfig(
    {
      get: (key) => own.get(key),
      location: () => azure.get("location"),
      keys: () =>
        Object.keys(pulumi.runtime.allConfig())
          .filter((key) => key.startsWith(prefix))
          .map((key) => key.slice(prefix.length)),
    },
    project,
  );
}
