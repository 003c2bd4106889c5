/**
 * The models panel: the classifiers this process serves with their algorithm, registered metrics
 * and lineage, and every registered GARCH model. A version's model card is the `card.md` that `mlops train`
 * writes beside its manifest; versions registered without one get no link.
 */
import { access, readFile } from "node:fs/promises";
import type { ModelVersion, ServedVariant } from "@mlops/contracts";
import { cardPath } from "@mlops/models";
import type { Store } from "@mlops/store";
import type { Classifier } from "../models/classifier.js";
import type { ServedModels } from "../models/served.js";
import type { ModelsView } from "./schemas.js";

/** The card's Markdown, or null when the version has none. */
export async function readCard(version: ModelVersion): Promise<string | null> {
  return readFile(cardPath(version.artifact), "utf8").catch(() => null);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The panel's data; `cardUrl` turns a version into the dashboard's link to its card. */
export async function modelsView(
  store: Pick<Store, "models">,
  served: ServedModels,
  cardUrl: (name: string, version: number) => string,
  now: number,
): Promise<ModelsView> {
  const entries = Object.entries(served.classifiers) as [ServedVariant, Classifier][];
  const [versions, summaries] = await Promise.all([
    Promise.all(entries.map(([, m]) => store.models.get(m.name, m.version))),
    store.models.summaries(),
  ]);
  const classifiers = await Promise.all(
    entries.map(async ([variant, m], i) => {
      // Served models were resolved from the registry at start, so the version is there.
      const v = versions[i]!;
      const card = await exists(cardPath(v.artifact));
      return {
        variant,
        name: m.name,
        version: m.version,
        kind: v.kind,
        algorithm: m.algorithm,
        created_at: v.created_at,
        run_id: v.run_id,
        metrics: v.metrics,
        params: v.params,
        aliases: v.aliases,
        card_url: card ? cardUrl(m.name, m.version) : null,
      };
    }),
  );
  return {
    generated_at: now,
    served: classifiers,
    garch: summaries
      .filter((s) => s.kind === "garch")
      .map((s) => ({
        name: s.name,
        ready_version: s.ready_version,
        aliases: { ...s.aliases },
        served: served.garch?.name === s.name,
      })),
  };
}
