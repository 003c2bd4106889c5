import { type Store, StoreConflictError } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { loadDataset } from "../dataset.js";
import { decidePromotion } from "./promotion.js";

const cli = useCliFixture("mlops-promotion-", 400);

describe("decidePromotion", () => {
  it("moves challenger only if it is where it was when the decision started", async () => {
    for (let i = 0; i < 2; i++) expect((await cli.train("--name", "race")).stderr).toBe("");
    const dataset = await loadDataset(cli.data, { label: "label" });
    await cli.withStore(async (store) => {
      // Another promotion makes v1 challenger between this one's read and its write.
      const racing: Store = {
        ...store,
        models: {
          ...store.models,
          aliases: async (name) => {
            const read = await store.models.aliases(name);
            await store.models.setAlias(name, "challenger", 1);
            return read;
          },
        },
      };
      const gate = { metric: "accuracy", threshold: 0.5 };
      const lost = decidePromotion(racing, "race", 2, 0.9, gate, dataset);
      await expect(lost).rejects.toThrow(StoreConflictError);
      await expect(lost).rejects.toThrow(
        "v2 did not become race@challenger: alias race@challenger points at 1, expected nothing (it moved since it was read); another promotion moved it while v2 was judged: judge v2 again with `mlops gate --model race@2`",
      );
      expect(await store.models.aliases("race")).toEqual({ challenger: 1 });
    });
  });
});
