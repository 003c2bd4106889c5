/**
 * The saved form of a gradient-boosted trees classifier (`model.json` of kind `gbdt`) and its
 * validation. Prediction-side code: it imports nothing of training.
 */
import { parseOrThrow } from "@mlops/contracts";
import { z } from "zod";

export const GBDT_MODEL_KIND = "gbdt";
/** Bumped whenever a reader of the previous version would misread the new one. */
export const GBDT_FORMAT_VERSION = 1;

export type GbdtObjective = "binary_logloss" | "multiclass_softmax";

/**
 * One regression tree as parallel arrays over its nodes, the root first. Node i is a leaf when
 * `feature[i]` is −1: it adds `value[i]` (shrinkage included) to its score, and its `left`,
 * `right` and `threshold` are −1, −1 and 0. Otherwise rows with `x[feature[i]] ≤ threshold[i]` go
 * to `left[i]`, the others (NaN too) to `right[i]`; children come after their parent.
 */
export interface GbdtTreeJSON {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** A boosted-trees classifier: raw scores start at `baseScore` and every tree adds to one of them. */
export interface GbdtModelJSON {
  kind: typeof GBDT_MODEL_KIND;
  formatVersion: typeof GBDT_FORMAT_VERSION;
  /** Binary: one score, the log-odds of class 1. Multiclass: one softmax logit per class. */
  objective: GbdtObjective;
  nFeatures: number;
  nClasses: number;
  /** Starting scores: 1 (binary) or `nClasses`. */
  baseScore: number[];
  /** Round by round; within a round one tree per score, tree t adding to score t mod width. */
  trees: GbdtTreeJSON[];
}

const finite = z.number().min(-Number.MAX_VALUE).max(Number.MAX_VALUE);
const index = z.number().int().min(-1);

const treeSchema = z
  .object({
    feature: z.array(index).min(1),
    threshold: z.array(finite),
    left: z.array(index),
    right: z.array(index),
    value: z.array(finite),
  })
  .superRefine((tree, ctx) => {
    const n = tree.feature.length;
    for (const key of ["threshold", "left", "right", "value"] as const) {
      if (tree[key].length !== n) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must hold ${n} entries, one per node`,
        });
        return;
      }
    }
    const parents = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const leaf = tree.feature[i] === -1;
      for (const side of ["left", "right"] as const) {
        const child = tree[side][i];
        if (leaf ? child !== -1 : child <= i || child >= n || parents[child] !== -1) {
          ctx.addIssue({
            code: "custom",
            path: [side, i],
            message: leaf
              ? "must be -1 at a leaf"
              : `must be a node after ${i} and before ${n} that no other node points to`,
          });
          return;
        }
        if (!leaf) parents[child] = i;
      }
    }
    for (let i = 1; i < n; i++) {
      if (parents[i] === -1) {
        ctx.addIssue({ code: "custom", path: ["left"], message: `no node points to node ${i}` });
        return;
      }
    }
  });

const modelSchema = z
  .object({
    kind: z.literal(GBDT_MODEL_KIND),
    formatVersion: z.literal(GBDT_FORMAT_VERSION),
    objective: z.enum(["binary_logloss", "multiclass_softmax"]),
    nFeatures: z.number().int().min(1),
    nClasses: z.number().int().min(2),
    baseScore: z.array(finite).min(1),
    trees: z.array(treeSchema).min(1),
  })
  .superRefine((model, ctx) => {
    const binary = model.objective === "binary_logloss";
    if (binary !== (model.nClasses === 2)) {
      ctx.addIssue({
        code: "custom",
        path: ["objective"],
        message: "must be binary_logloss for 2 classes and multiclass_softmax for more",
      });
      return;
    }
    const width = binary ? 1 : model.nClasses;
    if (model.baseScore.length !== width) {
      ctx.addIssue({ code: "custom", path: ["baseScore"], message: `must hold ${width} scores` });
    }
    if (model.trees.length % width !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["trees"],
        message: `must hold whole rounds of ${width} trees`,
      });
    }
    model.trees.forEach((tree, t) => {
      tree.feature.forEach((f, i) => {
        if (f >= model.nFeatures) {
          ctx.addIssue({
            code: "custom",
            path: ["trees", t, "feature", i],
            message: `must be -1 or a feature index below ${model.nFeatures}`,
          });
        }
      });
    });
  });

/**
 * Checks that `json` is a gbdt model this reader understands; throws a
 * `ContractValidationError` naming each field at fault (`trees[3].left[5]: …`).
 */
export function parseGbdtModel(json: unknown): GbdtModelJSON {
  return parseOrThrow(modelSchema, json, "gbdt model") as GbdtModelJSON;
}
