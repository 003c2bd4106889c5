/**
 * The demo platform `pnpm start` serves, registered when the registry lacks it: a champion random
 * forest and a challenger of gradient-boosted trees trained on the demo data (`runTrainJob`),
 * GARCH(1,1) fitted to the DEM/GBP returns (`runGarchJob`), their aliases, and the A/B experiment
 * between the two classifiers. What is registered already is reused, so a second run only
 * reports it.
 */
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CHALLENGER,
  CHAMPION,
  DEMO_MODELS,
  type Decision,
  type ExperimentState,
  NameSchema,
} from "@mlops/contracts";
import { concludingDecision } from "@mlops/experiments";
import type { Store } from "@mlops/store";
import { OptionError } from "../errors.js";
import { runGarchJob } from "./garch.js";
import { runTrainJob } from "./train.js";

/** The demo data shipped with the repository. */
export const DEMO_DATA = {
  classification: fileURLToPath(new URL("../../data/demo-classification.csv", import.meta.url)),
  returns: fileURLToPath(new URL("../../../garch/data/dem2gbp.csv", import.meta.url)),
};

/**
 * The two arms, on the same data: the forest as champion and boosted trees (their defaults, as
 * many rounds as the forest has trees) as challenger, the A/B test teams run when they weigh
 * boosting against the forest they serve.
 */
const ARMS = [
  { alias: CHAMPION, seed: 1, algorithm: "forest" },
  { alias: CHALLENGER, seed: 2, algorithm: "gbdt" },
] as const;

/** What `mlops demo` (and `pnpm start` before it serves) does, as a function. */
export interface DemoJobInput {
  readonly store: Store;
  /** Run artifacts go to `<root>/<run_id>/model`. */
  readonly artifactRoot: string;
  /** The experiment the server logs predictions to. */
  readonly experimentId: string;
  /** Percent of users the experiment sends to the challenger. */
  readonly challengerWeight: number;
  /** Trees of the forest, and rounds of the boosted trees. @default 100 */
  readonly trees?: number;
  /** Worker threads for training. @default 1 */
  readonly threads?: number;
  /** @default `git rev-parse HEAD`, or null */
  readonly gitSha?: string | null;
  /** Progress lines for people; transient ones (progress bars) may overwrite each other. */
  readonly progress?: (line: string, transient?: boolean) => void;
  /** Stops the training under way (its run KILLED, nothing registered; see `runTrainJob`). */
  readonly signal?: AbortSignal;
}

/** One demo model behind its alias. */
export interface DemoModel {
  readonly name: string;
  readonly alias: string;
  readonly version: number;
  /** Whether this run registered it (false: it was there already). */
  readonly registered: boolean;
}

/** The demo's A/B experiment. */
export interface DemoExperiment {
  readonly id: string;
  /** Whether this run defined it (false: it was there already). */
  readonly created: boolean;
  readonly state: ExperimentState;
  /** The recorded decision that concluded it, when one did. */
  readonly concludedBy: Pick<Decision, "id" | "decision" | "decided_at"> | null;
}

/** The result scripts read (`mlops demo --json`). */
export interface DemoJobOutput {
  readonly models: readonly DemoModel[];
  readonly experiment: DemoExperiment;
}

/**
 * Makes sure the demo GARCH fit and its alias exist: all the GARCH service (`MLOPS_MODE=garch`)
 * serves, without training the forests.
 */
export function runGarchDemoJob(
  input: Pick<DemoJobInput, "store" | "artifactRoot" | "gitSha" | "progress">,
): Promise<DemoModel> {
  return ensureGarch(input);
}

/**
 * Makes sure the demo models, their aliases and the experiment exist. The experiment's id and
 * weight are checked first, so a bad one fails before anything is trained or registered.
 */
export async function runDemoJob(input: DemoJobInput): Promise<DemoJobOutput> {
  checkExperimentInput(input);
  const classifiers = await ensureClassifiers(input);
  const garch = await ensureGarch(input);
  const experiment = await ensureExperiment(input);
  warnOfSameArms(input, classifiers, experiment);
  return { models: [...classifiers, garch], experiment };
}

/** How a new challenger gets an A/B test of its own. */
const NEXT_CHALLENGER = `register a new challenger (mlops train …, then mlops promote --alias ${CHALLENGER}) and give it a new experiment id (MLOPS_EXPERIMENT_ID)`;

/**
 * What an applied decision leaves: a concluded experiment (its decision recorded, and after a
 * promotion one version behind both aliases), which takes no more data; or, with the experiment
 * still running, both aliases on one version, which compares the model with itself.
 */
function warnOfSameArms(
  input: Pick<DemoJobInput, "progress">,
  classifiers: readonly DemoModel[],
  experiment: DemoExperiment,
): void {
  const progress = input.progress ?? (() => {});
  const [champion, challenger] = classifiers;
  const { id, concludedBy } = experiment;
  if (concludedBy !== null) {
    progress(
      `experiment ${id} was concluded by decision ${concludedBy.id} (${concludedBy.decision}, ${new Date(concludedBy.decided_at).toISOString()}): it takes no more data; to A/B-test another model, ${NEXT_CHALLENGER}`,
    );
  } else if (experiment.state === "concluded") {
    progress(`experiment ${id} is concluded: it takes no more data; ${NEXT_CHALLENGER}`);
  } else if (champion!.version === challenger!.version) {
    progress(
      `warning: ${champion!.name}@${CHAMPION} and @${CHALLENGER} are the same version (v${champion!.version}), so the A/B test compares it with itself; ${NEXT_CHALLENGER}`,
    );
  }
}

/** Throws an {@link OptionError} naming `experimentId` or `challengerWeight` when one is invalid. */
function checkExperimentInput(input: Pick<DemoJobInput, "experimentId" | "challengerWeight">) {
  const id = NameSchema.safeParse(input.experimentId);
  if (!id.success) {
    const rule = id.error.issues[0]?.message ?? "is not a valid experiment id";
    throw new OptionError("experimentId", rule, input.experimentId);
  }
  const weight = input.challengerWeight;
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new OptionError("challengerWeight", "must be an integer in [0, 100]", weight);
  }
}

/** Trains and registers whichever arm has no alias yet. */
async function ensureClassifiers(input: DemoJobInput): Promise<DemoModel[]> {
  const { store, progress = () => {} } = input;
  const name = DEMO_MODELS.classifier;
  const trees = input.trees ?? 100;
  const aliases = await store.models.aliases(name);
  if (ARMS.every((arm) => aliases[arm.alias] !== undefined)) {
    progress(
      `reusing ${name}@${CHAMPION} (v${aliases[CHAMPION]}) and @${CHALLENGER} (v${aliases[CHALLENGER]})`,
    );
  }
  const models: DemoModel[] = [];
  for (const arm of ARMS) {
    const existing = aliases[arm.alias];
    if (existing !== undefined) {
      models.push({ name, alias: arm.alias, version: existing, registered: false });
      continue;
    }
    const label = `training ${name} (${arm.alias}, ${arm.algorithm}): ${trees} ${arm.algorithm === "forest" ? "trees" : "rounds"}`;
    const job = await runTrainJob({
      data: asTyped(DEMO_DATA.classification),
      label: "label",
      name,
      model:
        arm.algorithm === "forest"
          ? { algorithm: "forest", trees }
          : { algorithm: "gbdt", options: { nEstimators: trees } },
      seed: arm.seed,
      threads: input.threads ?? 1,
      store,
      artifactRoot: input.artifactRoot,
      ...(input.gitSha === undefined ? {} : { gitSha: input.gitSha }),
      onProgress: (p) => progress(`${label} ${bar(p.done / p.total)}`, true),
      signal: input.signal,
    });
    await store.models.setAlias(name, arm.alias, job.model.version);
    progress(
      `${label}: accuracy ${job.metrics.accuracy.toFixed(4)} in ${(job.fit_ms / 1000).toFixed(1)} s → ${name}@${job.model.version} = ${arm.alias}`,
    );
    models.push({ name, alias: arm.alias, version: job.model.version, registered: true });
  }
  return models;
}

/** Fits and registers GARCH(1,1) with Normal errors on dem2gbp unless it is registered. */
async function ensureGarch(
  input: Pick<DemoJobInput, "store" | "artifactRoot" | "gitSha" | "progress">,
): Promise<DemoModel> {
  const { store, progress = () => {} } = input;
  const name = DEMO_MODELS.garch;
  const existing = (await store.models.aliases(name))[CHAMPION];
  if (existing !== undefined) {
    progress(`reusing ${name}@${CHAMPION} (v${existing})`);
    return { name, alias: CHAMPION, version: existing, registered: false };
  }
  progress(`fitting GARCH(1,1) on ${name}…`, true);
  // Order selection over the one candidate GARCH(1,1) Normal: the GARCH job's fit and registration.
  const job = await runGarchJob({
    data: asTyped(DEMO_DATA.returns),
    name,
    maxP: 1,
    maxQ: 1,
    dists: ["normal"],
    store,
    artifactRoot: input.artifactRoot,
    ...(input.gitSha === undefined ? {} : { gitSha: input.gitSha }),
  });
  await store.models.setAlias(name, CHAMPION, job.model.version);
  progress(
    `fitted GARCH(1,1) on ${name}: log-likelihood ${job.metrics.log_likelihood.toFixed(2)} → ${name}@${job.model.version}`,
  );
  return { name, alias: CHAMPION, version: job.model.version, registered: true };
}

/** Defines the A/B experiment between the two arms unless it exists, and says what state it is in. */
async function ensureExperiment(input: DemoJobInput): Promise<DemoExperiment> {
  const { store, experimentId, challengerWeight } = input;
  const existing = await store.experiments.get(experimentId);
  if (existing !== null) {
    const decided =
      existing.state === "concluded"
        ? concludingDecision(await store.experiments.decisions(experimentId))
        : null;
    const concludedBy =
      decided === null
        ? null
        : { id: decided.id, decision: decided.decision, decided_at: decided.decided_at };
    return { id: experimentId, created: false, state: existing.state, concludedBy };
  }
  const model = DEMO_MODELS.classifier;
  const created = await store.experiments.create({
    id: experimentId,
    description:
      "Random-forest champion vs gradient-boosted challenger on the demo classification data (pnpm start).",
    variants: [
      { name: CHAMPION, weight: 100 - challengerWeight, model: `${model}@${CHAMPION}` },
      { name: CHALLENGER, weight: challengerWeight, model: `${model}@${CHALLENGER}` },
    ],
    primary_metric: "accuracy",
    guardrails: [{ metric: "error_rate", max_relative_increase: 0.1 }],
    state: "running",
  });
  return { id: experimentId, created: true, state: created.state, concludedBy: null };
}

/**
 * `path` as a user in the working directory would type it (relative when it is inside), since
 * runs, manifests and model cards record the data source as given.
 */
function asTyped(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside;
}

/** A 20-cell text progress bar. */
function bar(fraction: number): string {
  const cells = Math.round(fraction * 20);
  return `[${"#".repeat(cells)}${".".repeat(20 - cells)}] ${Math.round(fraction * 100)}%`;
}
