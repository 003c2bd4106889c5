import { PredictResponseSchema } from "@mlops/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compiledSerializer } from "./serializer.js";

const serialize = compiledSerializer({ schema: PredictResponseSchema });

const reply = fc.record({
  request_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
  prediction: fc.constantFrom("0", "1", "setosa", 'a "quoted" label'),
  probability: fc.double({ min: 0, max: 1, noNaN: true }),
  probabilities: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 8 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
  ),
  variant: fc.constantFrom("champion" as const, "challenger" as const),
  model: fc.record({ name: fc.constantFrom("classifier", "rf-2"), version: fc.nat({ max: 99 }) }),
  experiment_id: fc.constantFrom("default", "exp-7"),
});

describe("compiledSerializer", () => {
  it("writes what JSON.stringify writes for replies of the schema", () => {
    fc.assert(
      fc.property(reply, (value) => {
        const model = { ...value.model, version: value.model.version + 1 };
        const body = { ...value, model, model_version: String(model.version) };
        expect(JSON.parse(serialize(body))).toEqual(JSON.parse(JSON.stringify(body)));
      }),
    );
  });

  it("writes the declared fields only", () => {
    const body = {
      request_id: "r-1",
      prediction: "1",
      probability: 0.75,
      probabilities: { "0": 0.25, "1": 0.75 },
      variant: "champion",
      model: { name: "classifier", version: 3, path: "/internal/model.json" },
      model_version: "3",
      experiment_id: "default",
      stack: "Error: internal",
    };
    expect(JSON.parse(serialize(body))).toEqual({
      request_id: "r-1",
      prediction: "1",
      probability: 0.75,
      probabilities: { "0": 0.25, "1": 0.75 },
      variant: "champion",
      model: { name: "classifier", version: 3 },
      model_version: "3",
      experiment_id: "default",
    });
  });
});
