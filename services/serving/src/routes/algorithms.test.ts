/**
 * Champion and challenger of different algorithms in one split-mode process: the demo's arms
 * swapped, a boosted-trees champion beside a random-forest challenger. Each arm answers with the
 * predictions its trainer made: training scored each version on the demo data's held-out rows and
 * recorded accuracy and log loss in its manifest, and the served answers on the same rows give
 * both back.
 */
import { BatchPredictResponseSchema, ModelsResponseSchema } from "@mlops/contracts";
import { type FixtureModel, readDemoFixture, readDemoHeldOut } from "@mlops/models/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, json, openFixture } from "../../test-support/index.js";
import { bucketOf } from "../assignment.js";

let fixture: Fixture;
let forest: FixtureModel;
let gbdt: FixtureModel;
beforeAll(async () => {
  fixture = await openFixture();
  [forest, gbdt] = (await readDemoFixture()) as [FixtureModel, FixtureModel];
});
afterAll(() => fixture.dispose());

/** The demo's arms swapped: boosted trees (v2) as champion, the forest (v1) as challenger. */
const SWAPPED = {
  MLOPS_MODE: "split",
  MLOPS_CHAMPION_MODEL: "classifier@2",
  MLOPS_CHALLENGER_MODEL: "classifier@1",
};

/** A user the configured 50/50 split sends to `variant`. */
function userOn(variant: "champion" | "challenger"): string {
  for (let i = 0; ; i++) {
    const user = `user-${i}`;
    if (bucketOf("default", user) < 50 === (variant === "challenger")) return user;
  }
}

/** Accuracy and log loss as training computes them (probabilities clipped to [ε, 1 − ε]). */
function score(
  y: readonly string[],
  answers: { prediction: string; probabilities: Record<string, number> }[],
) {
  const eps = Number.EPSILON;
  const clip = (p: number) => Math.min(1 - eps, Math.max(eps, p));
  let correct = 0;
  let loss = 0;
  answers.forEach((a, i) => {
    if (a.prediction === y[i]) correct++;
    const sum = Object.values(a.probabilities).reduce((s, p) => s + clip(p), 0);
    loss -= Math.log(clip(a.probabilities[y[i]!]!) / sum);
  });
  return { accuracy: correct / y.length, log_loss: loss / y.length };
}

describe("a gbdt champion with a forest challenger in split mode", () => {
  it("lists each variant's algorithm on /models", async () => {
    const app = await build(fixture, SWAPPED);
    const models = ModelsResponseSchema.parse((await app.inject({ url: "/models" })).json());
    expect(models.served.map((m) => [m.variant, m.version, m.kind, m.algorithm])).toEqual([
      ["champion", 2, "classifier", "gbdt"],
      ["challenger", 1, "classifier", "forest"],
      ["garch", 1, "garch", null],
    ]);
  });

  it("answers on each arm with its trainer's held-out predictions, one row or many", async () => {
    const app = await build(fixture, SWAPPED);
    const heldOut = await readDemoHeldOut();
    for (const [variant, trained] of [
      ["champion", gbdt],
      ["challenger", forest],
    ] as const) {
      const user = userOn(variant);
      const answers = [];
      for (let from = 0; from < heldOut.x.length; from += 500) {
        const rows = heldOut.x.slice(from, from + 500);
        const res = await app.inject({ url: "/predict/batch", ...json({ rows, user_id: user }) });
        const body = BatchPredictResponseSchema.parse(res.json());
        expect(body.variant).toBe(variant);
        expect(body.model).toEqual({ name: "classifier", version: trained.manifest.version });
        answers.push(...body.predictions);
      }
      const { accuracy, log_loss } = score(heldOut.y, answers);
      expect(accuracy).toBe(trained.manifest.metrics.accuracy);
      expect(log_loss).toBeCloseTo(trained.manifest.metrics.log_loss!, 12);
      // One row on /predict answers as its row in the batch.
      const one = await app.inject({
        url: "/predict",
        ...json({ features: heldOut.x[7], user_id: user }),
      });
      expect(one.json()).toMatchObject({
        variant,
        prediction: answers[7]!.prediction,
        probabilities: answers[7]!.probabilities,
      });
    }
  });

  it("serves a gbdt champion alone in single mode", async () => {
    const app = await build(fixture, {
      MLOPS_MODE: "single",
      MLOPS_VARIANT: "champion",
      MLOPS_CHAMPION_MODEL: "classifier@2",
    });
    const res = await app.inject({ url: "/predict", ...json({ features: [0, 0, 0, 0, 0] }) });
    expect(res.statusCode).toBe(200);
    expect(res.json().model).toEqual({ name: "classifier", version: 2 });
  });
});
