/**
 * The Azure ML sweep job a gbdt sweep submits, checked field by field against the rules Azure ML
 * documents for sweep jobs:
 * - learn.microsoft.com/azure/machine-learning/how-to-tune-hyperparameters (v2): grid sampling
 *   takes `choice` only; Bayesian sampling takes `choice`, `uniform` and `quniform` only and no
 *   early-termination policy; `primary_metric` must match the name the trial logs; goal Maximize
 *   or Minimize; `max_total_trials` and `max_concurrent_trials` at most 1000; Truncation
 *   selection's `truncation_percentage` an integer from 1 to 99.
 * - learn.microsoft.com/python/api/azure-ai-ml/azure.ai.ml.sweep: the parameter expressions
 *   (Choice, Randint, Uniform, LogUniform, QUniform, QLogUniform, Normal, LogNormal, QNormal,
 *   QLogNormal) and the policies (BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy);
 *   the REST policy types Bandit, MedianStopping and TruncationSelection with
 *   `evaluationInterval` / `delayEvaluation` (azure-mgmt-machinelearningservices `BanditPolicy`);
 *   learn.microsoft.com/azure/machine-learning/reference-yaml-job-sweep for the job's fields.
 * - azureml-train-core `BanditPolicy`: exactly one of slack factor and slack amount; each logged
 *   value of the primary metric is one interval, so the trial logs one value per boosting round.
 * - azureml-train-core `parameter_expressions`: loguniform(min, max) = exp(uniform(min, max)).
 */
import { describe, expect, it } from "vitest";
import { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "../sweep/gbdt-space.js";
import type { SweepDefinition } from "../sweep/run.js";
import type { TerminationPolicy } from "../sweep/termination.js";
import { azureMlTargetFromEnv, sweepJob } from "./jobs.js";
import { SWEEP_PRIMARY_METRIC } from "./sweep-spec.js";

const WS =
  "/subscriptions/00000000-0000-0000-0000-0000000000b2/resourceGroups/rg-gbdt/providers/Microsoft.MachineLearningServices/workspaces/ws-gbdt";
const target = azureMlTargetFromEnv({
  AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-0000000000b2",
  AZUREML_RESOURCE_GROUP: "rg-gbdt",
  AZUREML_WORKSPACE: "ws-gbdt",
  AZUREML_COMPUTE: "cpu",
  AZUREML_ENVIRONMENT: `${WS}/environments/mlops-training/versions/7`,
  AZUREML_TRAINING_CLIENT_ID: "client-gbdt",
  COSMOS_ENDPOINT: "https://cosmos-gbdt.documents.azure.com:443/",
  MLFLOW_TRACKING_URI: `azureml://northeurope.api.azureml.ms/mlflow/v1.0${WS}`,
});

const EXPRESSIONS = new Set([
  "choice",
  "randint",
  "uniform",
  "loguniform",
  "quniform",
  "qloguniform",
  "normal",
  "lognormal",
  "qnormal",
  "qlognormal",
]);
const BAYESIAN_EXPRESSIONS = new Set(["choice", "uniform", "quniform"]);

type Body = ReturnType<typeof sweepJob> & Record<string, unknown>;

/** Every documented rule a sweep job body must keep; returns the broken ones (none when valid). */
function brokenRules(job: Body): string[] {
  const broken: string[] = [];
  const rule = (ok: boolean, what: string) => {
    if (!ok) broken.push(what);
  };
  rule(job.jobType === "Sweep", "jobType is Sweep");
  const space = job.searchSpace as Record<string, [string, unknown[]]>;
  const sampling = (job.samplingAlgorithm as { samplingAlgorithmType: string })
    .samplingAlgorithmType;
  rule(["Grid", "Random", "Bayesian"].includes(sampling), "sampling is Grid, Random or Bayesian");
  for (const [name, [type, args]] of Object.entries(space)) {
    rule(EXPRESSIONS.has(type), `${name}: a documented parameter expression`);
    rule(Array.isArray(args), `${name}: [type, [arguments]]`);
    if (sampling === "Grid") rule(type === "choice", `${name}: grid sampling takes choice only`);
    if (sampling === "Bayesian") {
      rule(BAYESIAN_EXPRESSIONS.has(type), `${name}: Bayesian takes choice, uniform, quniform`);
    }
  }
  const bound = [...job.trial.command.matchAll(/\$\{\{search_space\.([A-Za-z0-9_]+)\}\}/g)].map(
    (m) => m[1],
  );
  rule(
    JSON.stringify([...bound].sort()) === JSON.stringify(Object.keys(space).sort()),
    "the trial command binds every search-space parameter, and no other",
  );
  const objective = job.objective as { goal: string; primaryMetric: string };
  rule(["Maximize", "Minimize"].includes(objective.goal), "goal is Maximize or Minimize");
  rule(objective.primaryMetric === SWEEP_PRIMARY_METRIC, "primary metric is what trials log");
  const limits = job.limits as {
    jobLimitsType: string;
    maxTotalTrials: number;
    maxConcurrentTrials: number;
  };
  rule(limits.jobLimitsType === "Sweep", "limits are Sweep limits");
  for (const n of [limits.maxTotalTrials, limits.maxConcurrentTrials]) {
    rule(Number.isInteger(n) && n >= 1 && n <= 1000, "trial limits are integers in [1, 1000]");
  }
  const policy = job.earlyTermination as Record<string, unknown> | undefined;
  if (policy) {
    rule(sampling !== "Bayesian", "Bayesian sampling takes no early termination");
    for (const key of ["evaluationInterval", "delayEvaluation"]) {
      rule(Number.isInteger(policy[key]) && (policy[key] as number) >= 0, `${key} ≥ 0`);
    }
    if (policy.policyType === "Bandit") {
      rule(
        (policy.slackFactor === undefined) !== (policy.slackAmount === undefined),
        "Bandit has one of slackFactor and slackAmount",
      );
    } else if (policy.policyType === "TruncationSelection") {
      const p = policy.truncationPercentage as number;
      rule(Number.isInteger(p) && p >= 1 && p <= 99, "truncationPercentage in [1, 99]");
    } else {
      rule(policy.policyType === "MedianStopping", "a documented policy type");
    }
  }
  return broken;
}

const gbdt = (
  sampling: SweepDefinition["sampling"],
  policy?: TerminationPolicy,
): SweepDefinition => ({
  algorithm: "gbdt",
  space: gbdtDesignSpace(sampling.kind),
  sampling,
  fixed: GBDT_SWEEP_FIXED,
  maxTrials: 40,
  maxConcurrent: 4,
  policy,
});
const job = (definition: SweepDefinition) =>
  sweepJob(target, {
    data: "azureml:churn:3",
    label: "label",
    experiment: "churn-gbdt-sweep",
    threads: 1,
    definition,
  }) as Body;

describe("the Azure ML sweep job of a gbdt sweep", () => {
  it("searches the design's space and lets the policy act on every boosting round", () => {
    const body = job(
      gbdt({ kind: "random", seed: 9 }, { kind: "bandit", slackFactor: 0.1, delayEvaluation: 10 }),
    );
    expect(brokenRules(body)).toEqual([]);
    expect(body.searchSpace).toEqual({
      learningRate: ["loguniform", [Math.log(0.01), Math.log(0.3)]],
      nEstimators: ["choice", [[50, 100, 150, 200]]],
      maxDepth: ["choice", [[5, 10, 15, 20]]],
      minSamplesSplit: ["choice", [[2, 5, 10]]],
    });
    // exp of the loguniform bounds is the design's range.
    const [, [min, max]] = body.searchSpace.learningRate as [string, [number, number]];
    expect([Math.exp(min), Math.exp(max)].map((v) => v.toFixed(6))).toEqual([
      "0.010000",
      "0.300000",
    ]);
    expect(body.samplingAlgorithm).toEqual({ samplingAlgorithmType: "Random", seed: 9 });
    expect(body.earlyTermination).toEqual({
      policyType: "Bandit",
      slackFactor: 0.1,
      evaluationInterval: 1,
      delayEvaluation: 10,
    });
    expect(body.trial.command).toBe(
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
        "cd /repo && node dist/mlops.js sweep-trial --algorithm gbdt --data ${{inputs.data}}",
        "--label label --report-every 1 --threads 1 --param minSamplesLeaf=1",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
        "--param learningRate=${{search_space.learningRate}} --param nEstimators=${{search_space.nEstimators}}",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
        "--param maxDepth=${{search_space.maxDepth}} --param minSamplesSplit=${{search_space.minSamplesSplit}}",
      ].join(" "),
    );
  });

  it("keeps the documented rules for every sampling and policy", () => {
    const policies: TerminationPolicy[] = [
      { kind: "bandit", slackAmount: 0.02, evaluationInterval: 5, delayEvaluation: 5 },
      { kind: "median", delayEvaluation: 5 },
      { kind: "truncation", truncationPercentage: 25, evaluationInterval: 10 },
    ];
    for (const policy of policies) {
      for (const sampling of [{ kind: "grid" }, { kind: "random", seed: 1 }] as const) {
        expect(brokenRules(job(gbdt(sampling, policy)))).toEqual([]);
      }
    }
    const grid = job(gbdt({ kind: "grid" }));
    expect(grid.searchSpace.learningRate).toEqual(["choice", [[0.01, 0.03, 0.1, 0.3]]]);
  });

  it("samples the learning rate for Bayesian sampling as uniform in log space", () => {
    const body = job(gbdt({ kind: "bayesian", seed: 2 }));
    expect(brokenRules(body)).toEqual([]);
    expect(body.searchSpace.learningRate).toEqual(["uniform", [Math.log(0.01), Math.log(0.3)]]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
    expect(body.trial.command).toContain("--log-param learningRate=${{search_space.learningRate}}");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Azure ML bindings, not JS templates
    expect(body.trial.command).toContain("--param maxDepth=${{search_space.maxDepth}}");
    expect(body).not.toHaveProperty("earlyTermination");
  });

  it("finds the rules broken in a body that breaks them", () => {
    const body = job(gbdt({ kind: "random", seed: 1 }, { kind: "median" }));
    expect(
      brokenRules({
        ...body,
        samplingAlgorithm: { samplingAlgorithmType: "Grid" },
        searchSpace: { ...body.searchSpace, extra: ["beta", [1, 2]] },
        limits: { jobLimitsType: "Sweep", maxTotalTrials: 1001, maxConcurrentTrials: 1 },
      } as Body),
    ).toEqual([
      "learningRate: grid sampling takes choice only",
      "extra: a documented parameter expression",
      "extra: grid sampling takes choice only",
      "the trial command binds every search-space parameter, and no other",
      "trial limits are integers in [1, 1000]",
    ]);
  });

  it("refuses what Azure ML would refuse, naming the field", () => {
    expect(() => job({ ...gbdt({ kind: "random", seed: 1 }), maxTrials: 1001 })).toThrow(
      "maxTrials must be at most 1000 for an Azure ML sweep job (got 1001)",
    );
    expect(() =>
      job(gbdt({ kind: "bayesian", seed: 1 }, { kind: "truncation", truncationPercentage: 10 })),
    ).toThrow('policy is not supported with Bayesian sampling (got "truncation")');
    expect(() => job({ ...gbdt({ kind: "grid" }), space: gbdtDesignSpace("random") })).toThrow(
      'space.learningRate must be a choice for grid sampling (got "loguniform")',
    );
    expect(() =>
      job({
        ...gbdt({ kind: "random", seed: 1 }),
        space: { maxLeaves: { type: "choice", values: [8] } },
      }),
    ).toThrow(
      /^space\.maxLeaves choice can draw a value the gbdt trainer refuses: maxLeaves is not a gbdt option/,
    );
  });
});
