import { SECRET_ENV_VARS, SERVING_ENV } from "@mlops/contracts";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Credential variables (contracts' `SECRET_ENV_VARS`) a pod reads from a
 * Kubernetes Secret. Independent of the serving config's values: the config
 * is plain data rendered at preview, while a credential such as the App
 * Insights connection string only exists as a Pulumi secret output, so it
 * can never be in the config and must still reach the pod.
 */
export interface SecretEnv {
  /** Secret in the pods' namespace that holds the values. */
  readonly secretName: pulumi.Input<string>;
  /**
   * Env var → key in that Secret, one entry per variable to source; every
   * variable must be one of contracts' `SECRET_ENV_VARS`.
   */
  readonly keys: Readonly<Record<string, string>>;
}

/** What the API server accepts as a Secret data key. */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Throws, naming the field and the rule, unless `env` names only credential variables and valid keys. */
export function validateSecretEnv(field: string, env: SecretEnv): void {
  const entries = Object.entries(env.keys);
  if (entries.length === 0) {
    throw new Error(`${field}.keys: must name at least one variable`);
  }
  for (const [variable, key] of entries) {
    if (!SECRET_ENV_VARS.includes(variable)) {
      throw new Error(
        `${field}.keys.${variable}: not a credential variable (one of ${SECRET_ENV_VARS.join(", ")})`,
      );
    }
    if (!SECRET_KEY.test(key)) {
      throw new Error(
        `${field}.keys.${variable}: "${key}" must be a Secret key (letters, digits, '-', '_', '.')`,
      );
    }
  }
}

/**
 * The env entries that read each variable of `env` from its Secret. Not
 * optional: a pod without its credentials must fail to start where it is
 * visible (CreateContainerConfigError), not run without telemetry or store.
 */
export function secretEnvVars(env: SecretEnv): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(env.keys).map(([name, key]) => ({
    name,
    valueFrom: { secretKeyRef: { name: env.secretName, key } },
  }));
}

/**
 * Serving variables whose values only exist once the estate is deployed, such as the App
 * Insights connection string: Pulumi outputs rendered as plain env values. Never credentials
 * (those come from a Secret); a changed value rolls the pods like any other env change.
 */
export type DeployedEnv = Readonly<Record<string, pulumi.Input<string>>>;

const SERVING_VARIABLES: ReadonlySet<string> = new Set(Object.values(SERVING_ENV));

/** Throws, naming the variable and the rule, unless `env` names only non-credential serving variables. */
export function validateDeployedEnv(field: string, env: DeployedEnv): void {
  for (const variable of Object.keys(env)) {
    if (SECRET_ENV_VARS.includes(variable)) {
      throw new Error(
        `${field}.${variable}: a credential comes from a Secret (secretEnv), never a plain value`,
      );
    }
    if (!SERVING_VARIABLES.has(variable)) {
      throw new Error(`${field}.${variable}: not a variable the server reads (see SERVING_ENV)`);
    }
  }
}

/** The env entries carrying `env`'s values. */
export function deployedEnvVars(env: DeployedEnv): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}
