/**
 * Reading the CI files as the checks need them: every job with the shell it runs (its `run:`
 * steps and the helper scripts those call), the `pnpm mlops` calls in a text, and what a job
 * reaches and runs. Shared by workflows.test.ts and estate.test.ts.
 */
import {
  type CiFile,
  type Job,
  loadScripts,
  loadSetupAction,
  loadWorkflows,
  type Step,
  type Workflow,
} from "./support.js";

/** A GitHub expression as the workflow spells it: `${{ body }}`. */
export const expr = (body: string) => `\${{ ${body} }}`;

/** The expression reading repository variable `name`. */
export const fromVars = (name: string) => expr(`vars.${name}`);

/** The self-hosted runner in the VNet's runner subnet (infra/src/runner-subnet.ts). */
export const IN_VNET = expr("vars.MLOPS_RUNNER || 'mlops-vnet'");

/** The one identity each kind of job signs in as (infra/src/pipeline-identities.ts). */
export const IDENTITY = {
  preview: "AZURE_PREVIEW_CLIENT_ID",
  build: "AZURE_BUILD_CLIENT_ID",
  deploy: "AZURE_DEPLOY_CLIENT_ID",
} as const;

/** A job's `run:` steps, one after another. */
export const runsOf = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");

/** `pnpm [--silent|--dir X] mlops a b --flag …` invocations in `text`, across line continuations. */
export function invocations(text: string): { command: string; flags: string[] }[] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .flatMap((line) => [
      ...line.matchAll(
        /pnpm (?:(?:--silent|--dir \S+) )*mlops ([a-z]+(?: [a-z]+)*)((?: +[^|;&>]*)?)/g,
      ),
    ])
    .map((m) => ({
      command: m[1]!.trim(),
      flags: [...(m[2] ?? "").matchAll(/--[a-z-]+/g)].map((f) => f[0]),
    }));
}

/** Both workflows, the helper scripts and the setup action, read once. */
export class CiFiles {
  /** mlops-pipeline.yml */
  readonly pipeline: Workflow;
  /** ci.yml */
  readonly ci: Workflow;

  private constructor(
    readonly workflows: CiFile<Workflow>[],
    readonly scripts: Map<string, string>,
    private readonly setupSteps: Step[],
  ) {
    this.pipeline = this.workflow("mlops-pipeline.yml");
    this.ci = this.workflow("ci.yml");
  }

  static async load(): Promise<CiFiles> {
    return new CiFiles(
      await loadWorkflows(),
      await loadScripts(),
      (await loadSetupAction()).doc.runs.steps,
    );
  }

  /** The workflow file named `name` (e.g. `ci.yml`). */
  workflow(name: string): Workflow {
    return this.file(name).doc;
  }

  file(name: string): CiFile<Workflow> {
    const found = this.workflows.find((w) => w.path.endsWith(`/${name}`));
    if (!found) throw new Error(`no workflow ${name}`);
    return found;
  }

  /** Every job of every workflow. */
  jobs(): { w: CiFile<Workflow>; id: string; job: Job }[] {
    return this.workflows.flatMap((w) =>
      Object.entries(w.doc.jobs).map(([id, job]) => ({ w, id, job })),
    );
  }

  /** Every step of every job, and the setup action's. */
  steps(): Step[] {
    return [...this.jobs().flatMap(({ job }) => job.steps), ...this.setupSteps];
  }

  /** The scripts a job's steps call (`.github/scripts/<name>`), with the scripts those call. */
  scriptsCalledBy(job: Job): string[] {
    const called = new Set<string>();
    const visit = (text: string) => {
      for (const m of text.matchAll(/(?:\.github\/scripts\/|\$here\/)([a-z-]+\.sh)/g)) {
        if (called.has(m[1]!)) continue;
        called.add(m[1]!);
        visit(this.scripts.get(m[1]!) ?? "");
      }
    };
    visit(runsOf(job));
    return [...called].sort();
  }

  /** A job's shell text: its `run:` steps and the scripts they call. */
  shellOf(job: Job): string {
    return [runsOf(job), ...this.scriptsCalledBy(job).map((n) => this.scripts.get(n)!)].join("\n");
  }

  /**
   * Whether a job reaches one of the estate's private endpoints: the store (Cosmos DB), the
   * registry (push, pull, login) or Azure ML's storage (data upload, job outputs).
   */
  reachesPrivateEndpoint(job: Job): boolean {
    return (
      job.env?.MLOPS_STORE === "cosmos" ||
      /docker (push|pull)|az acr login|az ml (data|job)/.test(this.shellOf(job))
    );
  }

  /** Whether a job runs the Pulumi CLI against the stack. */
  runsPulumi(job: Job): boolean {
    return /^\s*pulumi (preview|up|stack|config)\b/m.test(this.shellOf(job));
  }
}
