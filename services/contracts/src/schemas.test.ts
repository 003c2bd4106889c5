import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  batchPredictRequestSchema,
  ClientRequestIdSchema,
  FeedbackRequestSchema,
  PredictRequestSchema,
} from "./api.js";
import { COSMOS_LAYOUT, PREDICTION_TTL_SECONDS } from "./cosmos-layout.js";
import { ContractValidationError, formatPath, parseOrThrow } from "./errors.js";
import { DecisionSchema, ExperimentInputSchema } from "./experiments.js";
import { PREDICTION_REQUESTS, predictionRateQuery } from "./metrics.js";
import { formatModelRef, ModelRefSchema, PinnedModelRefSchema } from "./model-ref.js";
import { outcomeClass, PredictionRecordSchema } from "./predictions.js";
import { MAX_ID_LENGTH } from "./primitives.js";
import { armsMismatch, type FeatureSchema, ModelManifestSchema } from "./registry.js";

function issuesOf(schema: { safeParse(v: unknown): unknown }, value: unknown): string {
  try {
    parseOrThrow(schema as never, value, "input");
  } catch (error) {
    if (error instanceof ContractValidationError) return error.message;
    throw error;
  }
  throw new Error("expected invalid input");
}

describe("formatPath", () => {
  it("writes object keys with dots and indexes in brackets", () => {
    expect(formatPath(["variants", 0, "weight"])).toBe("variants[0].weight");
    expect(formatPath([])).toBe("(root)");
  });
});

describe("model references", () => {
  it("parse latest, versions and aliases", () => {
    expect(ModelRefSchema.parse("iris")).toEqual({ name: "iris", selector: "latest" });
    expect(ModelRefSchema.parse("iris@3")).toEqual({
      name: "iris",
      selector: "version",
      version: 3,
    });
    expect(ModelRefSchema.parse("iris@champion")).toEqual({
      name: "iris",
      selector: "alias",
      alias: "champion",
    });
  });

  it.each(["iris@latest", "iris@v2", "iris@0", "@champion", "iris@Champion", "ir is@1", "a@b@c"])(
    "rejects %s",
    (text) => {
      expect(ModelRefSchema.safeParse(text).success).toBe(false);
    },
  );

  it("requires a pin where deployments need one", () => {
    expect(issuesOf(PinnedModelRefSchema, "iris")).toContain("must pin a version or alias");
  });

  it("formats what it parses", () => {
    const text = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      fc
        .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.integer({ min: 1, max: 1e9 }))
        .map(([n, v]) => `${n}@${v}`),
      fc
        .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.stringMatching(/^[a-z][a-z_-]{0,8}$/))
        .filter(([, a]) => a !== "latest")
        .map(([n, a]) => `${n}@${a}`),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(formatModelRef(ModelRefSchema.parse(t))).toBe(t);
      }),
    );
  });
});

describe("API bodies", () => {
  it("rejects unknown fields and names them", () => {
    expect(issuesOf(PredictRequestSchema, { features: [1], extra: 1 })).toContain("extra");
  });

  it("names the bad feature", () => {
    expect(issuesOf(PredictRequestSchema, { features: [1, "x"] })).toContain("features[1]:");
    expect(issuesOf(PredictRequestSchema, { features: [1, Number.POSITIVE_INFINITY] })).toContain(
      "features[1]:",
    );
    expect(issuesOf(PredictRequestSchema, { features: [] })).toContain("features:");
  });

  it("caps batches at the configured row limit", () => {
    const schema = batchPredictRequestSchema(2);
    expect(schema.safeParse({ rows: [[1], [2]] }).success).toBe(true);
    expect(issuesOf(schema, { rows: [[1], [2], [3]] })).toContain("rows:");
  });

  it("takes any id as a client's x-request-id: it correlates, and no row id is built from it", () => {
    expect(ClientRequestIdSchema.safeParse("r".repeat(MAX_ID_LENGTH)).success).toBe(true);
    expect(ClientRequestIdSchema.safeParse("r".repeat(MAX_ID_LENGTH + 1)).success).toBe(false);
    expect(ClientRequestIdSchema.safeParse("no spaces").success).toBe(false);
  });

  it("accepts label and numeric outcomes", () => {
    expect(FeedbackRequestSchema.parse({ request_id: "r-1", outcome: "yes" }).outcome).toBe("yes");
    expect(FeedbackRequestSchema.parse({ request_id: "r-1", outcome: 2.5 }).outcome).toBe(2.5);
    expect(issuesOf(FeedbackRequestSchema, { request_id: "r 1", outcome: 1 })).toContain(
      "request_id:",
    );
  });
});

describe("records", () => {
  const prediction = {
    request_id: "r-1",
    experiment_id: "exp",
    variant: "champion",
    model_name: "iris",
    model_version: 1,
    user_id: null,
    prediction: "a",
    probabilities: { a: 0.7, b: 0.3 },
    latency_ms: 1.5,
    status: "ok",
    timestamp: 1_700_000_000_000,
  };

  it("requires a prediction on ok records", () => {
    expect(PredictionRecordSchema.safeParse(prediction).success).toBe(true);
    expect(issuesOf(PredictionRecordSchema, { ...prediction, prediction: null })).toContain(
      "prediction: prediction is required",
    );
    expect(
      PredictionRecordSchema.safeParse({ ...prediction, prediction: null, status: "error" })
        .success,
    ).toBe(true);
  });

  it("rejects probabilities outside [0, 1]", () => {
    expect(
      issuesOf(PredictionRecordSchema, { ...prediction, probabilities: { a: 1.5 } }),
    ).toContain("probabilities.a:");
  });

  it("maps numeric outcomes onto class labels", () => {
    expect(outcomeClass(1)).toBe("1");
    expect(outcomeClass("setosa")).toBe("setosa");
  });

  it("checks experiment weights and variant names", () => {
    const base = {
      id: "exp",
      primary_metric: "accuracy",
      variants: [
        { name: "champion", weight: 90, model: "iris@champion" },
        { name: "challenger", weight: 10, model: "iris@challenger" },
      ],
    };
    const parsed = ExperimentInputSchema.parse(base);
    expect(parsed.state).toBe("draft");
    expect(parsed.alpha).toBe(0.05);
    expect(
      issuesOf(ExperimentInputSchema, {
        ...base,
        variants: [base.variants[0], { ...base.variants[1], weight: 20 }],
      }),
    ).toContain("sum to 100");
    expect(
      issuesOf(ExperimentInputSchema, {
        ...base,
        variants: [base.variants[0], { ...base.variants[1], model: "iris" }],
      }),
    ).toContain("variants[1].model");
  });

  it("keeps the arms a decision judged, and reads decisions recorded without them", () => {
    const old = {
      id: "exp:1",
      experiment_id: "exp",
      decision: "promote",
      reason: "challenger better",
      evidence: { p_value: 0.01 },
      decided_at: 1_700_000_000_000,
    };
    expect(DecisionSchema.parse(old)).toEqual(old);
    const variants = [
      { name: "champion", model: "iris@1" },
      { name: "challenger", model: "iris@2" },
    ];
    expect(DecisionSchema.parse({ ...old, variants }).variants).toEqual(variants);
    expect(
      issuesOf(DecisionSchema, {
        ...old,
        variants: [variants[0], { ...variants[1], model: "iris" }],
      }),
    ).toContain("variants[1].model");
    expect(issuesOf(DecisionSchema, { ...old, variants: [variants[0]] })).toContain("variants");
  });

  it("checks that a manifest's feature schema matches its kind", () => {
    const manifest = {
      format_version: 1,
      name: "iris",
      version: 1,
      kind: "garch",
      feature_schema: {
        kind: "classifier",
        features: [{ name: "x", type: "number" }],
        target: "y",
        classes: ["a", "b"],
      },
      metrics: {},
      params: {},
      seed: 1,
      data_hash: "a".repeat(64),
      git_sha: null,
      run_id: "run-1",
      created: "2026-08-01T12:00:00.000Z",
      model_file: "model.json",
      model_sha256: "b".repeat(64),
    };
    expect(issuesOf(ModelManifestSchema, manifest)).toContain("feature_schema.kind");
    expect(ModelManifestSchema.safeParse({ ...manifest, kind: "classifier" }).success).toBe(true);
    expect(
      issuesOf(ModelManifestSchema, { ...manifest, kind: "classifier", model_file: "../x" }),
    ).toContain("model_file");
  });
});

describe("shared names", () => {
  it("keeps the autoscaler's metric and query in step", () => {
    expect(PREDICTION_REQUESTS.name).toBe("prediction_requests_total");
    expect(predictionRateQuery('variant="challenger"', "2m")).toBe(
      'sum(rate(prediction_requests_total{variant="challenger"}[2m]))',
    );
  });

  it("sets a TTL on prediction logs only where the layout says so", () => {
    expect(COSMOS_LAYOUT.containers.predictions.defaultTtlSeconds).toBe(PREDICTION_TTL_SECONDS);
    expect("defaultTtlSeconds" in COSMOS_LAYOUT.containers.models).toBe(false);
  });
});

describe("armsMismatch", () => {
  const classifier = (features: string[], classes: string[]): FeatureSchema => ({
    kind: "classifier",
    features: features.map((name) => ({ name, type: "number" as const })),
    target: "label",
    classes,
  });
  const base = classifier(["a", "b"], ["x", "y", "z"]);

  it("accepts the same features in order and the same classes in any order", () => {
    expect(armsMismatch(base, classifier(["a", "b"], ["z", "x", "y"]))).toBeNull();
  });

  it("names what differs: features, their order, classes, kind", () => {
    expect(armsMismatch(base, classifier(["b", "a"], ["x", "y", "z"]))).toBe(
      "both must take the same features in the same order (the champion takes a, b; the challenger b, a)",
    );
    expect(armsMismatch(base, classifier(["a", "b"], ["x", "y"]))).toMatch(
      /^both must predict the same classes \(the champion predicts x, y, z; the challenger x, y\)$/,
    );
    expect(armsMismatch(base, { kind: "garch", series: "returns" })).toBe(
      "both must be classifiers (the champion is a classifier model, the challenger a garch model)",
    );
  });

  it("keeps the message short for a thousand features", () => {
    const many = Array.from({ length: 1000 }, (_, i) => `feature_${i}`);
    const why = armsMismatch(classifier(many, ["x", "y"]), classifier(many.slice(1), ["x", "y"]));
    expect(why!.length).toBeLessThan(600);
    expect(why).toContain("…");
  });
});
