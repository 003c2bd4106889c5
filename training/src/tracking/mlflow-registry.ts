import type { ModelVersion } from "@mlops/contracts";
import { z } from "zod";
import type { ArtifactPublisher } from "./artifact-publisher.js";
import { MlflowError, type MlflowRestClient } from "./mlflow-client.js";

/**
 * Where registrations and alias moves are copied after the store records them. The store stays
 * the registry of record (versions, compare-and-set aliases); a mirror makes the same versions
 * visible in MLflow's UI and clients.
 */
export interface RegistryMirror {
  versionRegistered(version: ModelVersion): Promise<void>;
  aliasMoved(name: string, alias: string, version: number): Promise<void>;
}

/** The tag on an MLflow model version holding our version number (MLflow numbers its own). */
export const VERSION_TAG = "mlops.version";
/** Prefix of the registered-model tags that stand for aliases where MLflow has none (Azure ML). */
export const ALIAS_TAG_PREFIX = "mlops.alias.";

/** How aliases reach MLflow: its alias API, or `mlops.alias.<alias>` tags (Azure ML). */
export type AliasMode = "api" | "tags";

/** A page of `model-versions/search` (REST API reference), the parts the mirror reads. */
const VersionPageSchema = z.object({
  model_versions: z
    .array(
      z.object({
        version: z.string().min(1),
        tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
      }),
    )
    .optional(),
  next_page_token: z.string().optional(),
});

/**
 * Mirrors versions into MLflow's model registry (`registered-models/create` once per name,
 * `model-versions/create` per version, with lineage as tags) and aliases through
 * `registered-models/alias`, or, for Azure ML's MLflow layer, which has no aliases, as the
 * registered-model tag `mlops.alias.<alias>` whose value is the MLflow version. A version's
 * `source` is where `artifacts` put its files for that registry, never this machine's path.
 */
export class MlflowRegistryMirror implements RegistryMirror {
  constructor(
    private readonly client: MlflowRestClient,
    private readonly aliases: AliasMode,
    private readonly artifacts: ArtifactPublisher,
  ) {}

  async versionRegistered(v: ModelVersion): Promise<void> {
    try {
      await this.client.call("POST", "registered-models/create", { name: v.name });
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === "RESOURCE_ALREADY_EXISTS"))
        throw error;
    }
    const tags: Record<string, string> = {
      [VERSION_TAG]: String(v.version),
      "mlops.kind": v.kind,
      "mlops.artifact_sha256": v.artifact.sha256,
    };
    if (v.data_hash) tags["mlops.data_hash"] = v.data_hash;
    if (v.git_sha) tags["mlops.git_sha"] = v.git_sha;
    const source = await this.artifacts.publish(v);
    await this.client.call("POST", "model-versions/create", {
      name: v.name,
      source,
      ...(v.run_id ? { run_id: v.run_id } : {}),
      description: v.description,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
  }

  async aliasMoved(name: string, alias: string, version: number): Promise<void> {
    const mirrored = await this.mlflowVersion(name, version);
    if (this.aliases === "api") {
      await this.client.call("POST", "registered-models/alias", { name, alias, version: mirrored });
    } else {
      await this.client.call("POST", "registered-models/set-tag", {
        name,
        key: `${ALIAS_TAG_PREFIX}${alias}`,
        value: mirrored,
      });
    }
  }

  /** MLflow's version number for our `version`, found by its `mlops.version` tag. */
  private async mlflowVersion(name: string, version: number): Promise<string> {
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ filter: `name='${name}'`, max_results: "200" });
      if (pageToken) query.set("page_token", pageToken);
      const page = await this.client.call(
        "GET",
        `model-versions/search?${query}`,
        undefined,
        VersionPageSchema,
      );
      const found = page.model_versions?.find((mv) =>
        mv.tags?.some((t) => t.key === VERSION_TAG && t.value === String(version)),
      );
      if (found) return found.version;
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    throw new MlflowError(
      404,
      "RESOURCE_DOES_NOT_EXIST",
      `MLflow has no version of ${name} tagged ${VERSION_TAG}=${version}; it was registered before the mirror was configured`,
    );
  }
}
