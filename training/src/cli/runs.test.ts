import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";

const cli = useCliFixture("mlops-runs-", 400);

describe("mlops runs", () => {
  it("lists and shows the runs training recorded", async () => {
    const trained = JSON.parse((await cli.train("--name", "listed")).stdout);
    const runs = JSON.parse(
      (await cli.run(["runs", "list", "--experiment", "listed", "--json"])).stdout,
    );
    expect(runs.map((r: { run_id: string }) => r.run_id)).toEqual([trained.run_id]);
    expect((await cli.run(["runs", "list"])).stdout).toContain(
      `${trained.run_id}\tlisted\tFINISHED`,
    );
    const shown = JSON.parse((await cli.run(["runs", "show", trained.run_id, "--json"])).stdout);
    expect(shown.status).toBe("FINISHED");
  });

  it("names a run it cannot find", async () => {
    const missing = await cli.run(["runs", "show", "nope"]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      'error: run-id names no tracked run (got "nope")\n',
    ]);
  });

  it("refuses an empty experiment name rather than listing every run", async () => {
    for (const name of ["", "  "]) {
      const r = await cli.run(["runs", "list", "--experiment", name]);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        1,
        "",
        `error: --experiment must name an experiment (got ${JSON.stringify(name)})\n`,
      ]);
    }
  });
});
