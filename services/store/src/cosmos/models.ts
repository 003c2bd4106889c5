/**
 * Model versions and aliases on Cosmos DB: one partition per model name holding a document per
 * version (`version-<n>`) and per alias (`alias-<a>`). Id uniqueness within the partition settles
 * concurrent registrations of one number; the end of a registration and alias moves are
 * ETag-conditioned. A version document written before registrations had a status has none: it
 * reads as READY.
 */
import type { ModelRef, ModelVersion } from "@mlops/contracts";
import { StoreConflictError, StoreNotFoundError } from "../errors.js";
import {
  describeRef,
  requirePendingRegistration,
  requirePlainModelKeys,
  requireReadyForAlias,
  requireSameKind,
  staleAliasMessage,
} from "../shared.js";
import type { AliasPrecondition, ModelRepository, ModelSummary } from "../store.js";
import { check } from "../validate.js";
import type { CosmosCore } from "./documents.js";
import { statusOf } from "./retry.js";

type VersionDoc = Omit<ModelVersion, "aliases" | "status"> & {
  id: string;
  type: "version";
  status?: ModelVersion["status"];
};
interface AliasDoc {
  id: string;
  type: "alias";
  name: string;
  alias: string;
  version: number;
  updated_at: number;
}

const versionId = (v: number) => `version-${v}`;
const aliasId = (a: string) => `alias-${a}`;

/** The version as the repository returns it: without document fields, with its aliases. */
function toVersion(doc: VersionDoc, aliases: Record<string, number>): ModelVersion {
  const {
    id: _id,
    type: _type,
    _rid,
    _self,
    _etag,
    _attachments,
    _ts,
    ...rest
  } = doc as VersionDoc & Record<string, unknown>;
  return {
    ...(rest as Omit<ModelVersion, "aliases" | "status">),
    status: doc.status ?? "READY",
    aliases: Object.entries(aliases)
      .filter(([, v]) => v === doc.version)
      .map(([a]) => a),
  };
}

/** The model repository over `core`. */
export function cosmosModels(core: CosmosCore): ModelRepository {
  const { name, now, call, query, read, create, replaceIfMatch, update, lostRaces } = core;
  const container = core.containers.models;

  const aliasesOf = async (model: string): Promise<Record<string, number>> => {
    const docs = await query<AliasDoc>(
      container,
      `aliases of ${model}`,
      "SELECT * FROM c WHERE c.name = @name AND c.type = 'alias'",
      [{ name: "@name", value: model }],
      model,
    );
    return Object.fromEntries(
      docs.map((d) => [d.alias, d.version]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  };

  const getVersion = async (model: string, version: number) =>
    (await read<VersionDoc>(container, versionId(version), model, `read ${model}@${version}`))
      ?.doc ?? null;

  /** Point `alias` at `target` (null: remove it), conditionally on `pre`. */
  const moveAlias = async (
    model: string,
    alias: string,
    target: number | null,
    pre: AliasPrecondition | undefined,
  ) => {
    for (let race = 1; ; race++) {
      lostRaces(race, `move alias ${model}@${alias}`);
      const current = await read<AliasDoc>(
        container,
        aliasId(alias),
        model,
        `read alias ${model}@${alias}`,
      );
      const held = current?.doc.version ?? null;
      if (pre?.expectedVersion !== undefined && pre.expectedVersion !== held) {
        throw new StoreConflictError(
          name,
          staleAliasMessage(model, alias, held, pre.expectedVersion),
        );
      }
      let done: boolean;
      if (target === null) {
        if (current === null) return;
        done = await call(`delete alias ${model}@${alias}`, async (abortSignal) => {
          try {
            await container.item(aliasId(alias), model).delete({
              abortSignal,
              accessCondition: { type: "IfMatch", condition: current.etag as string },
            });
            return true;
          } catch (error) {
            if (statusOf(error) === 412 || statusOf(error) === 404) return false;
            throw error;
          }
        });
      } else {
        const doc: AliasDoc = {
          id: aliasId(alias),
          type: "alias",
          name: model,
          alias,
          version: target,
          updated_at: now(),
        };
        done =
          current === null
            ? await create(container, doc, `create alias ${model}@${alias}`)
            : await replaceIfMatch(
                container,
                doc,
                current.etag as string,
                model,
                `move alias ${model}@${alias}`,
              );
      }
      if (done) return;
      // Lost a race: with a precondition the re-read reports the conflict, without one we retry.
    }
  };

  return {
    register: async (input) => {
      const parsed = check.modelInput(requirePlainModelKeys(input));
      for (let race = 1; ; race++) {
        lostRaces(race, `register ${parsed.name}`);
        const [newest] = await query<Pick<VersionDoc, "version" | "kind">>(
          container,
          `latest version of ${parsed.name}`,
          `SELECT TOP 1 c.version, c.kind FROM c WHERE c.name = @name AND c.type = 'version'
           ORDER BY c.version DESC`,
          [{ name: "@name", value: parsed.name }],
          parsed.name,
        );
        requireSameKind(name, parsed.name, newest?.kind, parsed.kind);
        const version = (newest?.version ?? 0) + 1;
        const doc: VersionDoc = {
          ...parsed,
          version,
          created_at: now(),
          status: "PENDING_REGISTRATION",
          id: versionId(version),
          type: "version",
        };
        // Ids are unique per partition: of concurrent registrations of one number, one wins.
        if (await create(container, doc, `register ${parsed.name}`)) return toVersion(doc, {});
      }
    },
    finishRegistration: async (model, version, status) => {
      check.name(model);
      check.version(version);
      check.finishedStatus(status);
      const done = await update<VersionDoc>(
        container,
        versionId(version),
        model,
        `model ${model} version ${version}`,
        (doc) => {
          requirePendingRegistration(name, toVersion(doc, {}), status);
          return { ...doc, status };
        },
      );
      return toVersion(done, await aliasesOf(model));
    },
    get: async (model, version) => {
      const doc = await getVersion(model, version);
      return doc === null ? null : toVersion(doc, await aliasesOf(model));
    },
    resolve: async (refInput) => {
      const ref: ModelRef = check.modelRef(refInput);
      const aliases = await aliasesOf(ref.name);
      let doc: VersionDoc | null = null;
      if (ref.selector === "version") doc = await getVersion(ref.name, ref.version);
      else if (ref.selector === "alias") {
        const v = aliases[ref.alias];
        doc = v === undefined ? null : await getVersion(ref.name, v);
      } else {
        const [latest] = await query<VersionDoc>(
          container,
          `latest of ${ref.name}`,
          `SELECT TOP 1 * FROM c WHERE c.name = @name AND c.type = 'version'
           AND (NOT IS_DEFINED(c.status) OR c.status = 'READY') ORDER BY c.version DESC`,
          [{ name: "@name", value: ref.name }],
          ref.name,
        );
        doc = latest ?? null;
      }
      if (doc === null)
        throw new StoreNotFoundError(name, `no model version matches ${describeRef(ref)}`);
      return toVersion(doc, aliases);
    },
    list: async (model) => {
      const docs = await query<VersionDoc>(
        container,
        `versions of ${model}`,
        "SELECT * FROM c WHERE c.name = @name AND c.type = 'version' ORDER BY c.version DESC",
        [{ name: "@name", value: model }],
        model,
      );
      const aliases = await aliasesOf(model);
      return docs.map((d) => toVersion(d, aliases));
    },
    summaries: async () => {
      const rows = await query<Pick<VersionDoc, "name" | "kind" | "version" | "status">>(
        container,
        "list models",
        "SELECT c.name, c.kind, c.version, c.status FROM c WHERE c.type = 'version'",
        [],
      );
      const byName = new Map<string, Omit<ModelSummary, "name" | "aliases">>();
      for (const r of rows) {
        const seen = byName.get(r.name);
        const newest = seen === undefined || r.version > seen.latest_version;
        const ready = (r.status ?? "READY") === "READY";
        byName.set(r.name, {
          kind: newest ? r.kind : seen.kind,
          latest_version: newest ? r.version : seen.latest_version,
          ready_version:
            ready && r.version > (seen?.ready_version ?? 0)
              ? r.version
              : (seen?.ready_version ?? null),
        });
      }
      const names = [...byName.keys()].sort();
      return Promise.all(
        names.map(
          async (model): Promise<ModelSummary> => ({
            name: model,
            ...(byName.get(model) as Omit<ModelSummary, "name" | "aliases">),
            aliases: await aliasesOf(model),
          }),
        ),
      );
    },
    aliases: aliasesOf,
    setAlias: async (model, alias, version, pre) => {
      check.name(model);
      check.alias(alias);
      check.version(version);
      const target = await getVersion(model, version);
      if (target === null) {
        throw new StoreNotFoundError(name, `model ${model} has no version ${version}`);
      }
      requireReadyForAlias(name, toVersion(target, {}), alias);
      await moveAlias(model, alias, version, pre);
    },
    deleteAlias: (model, alias, pre) => moveAlias(model, alias, null, pre),
  };
}
