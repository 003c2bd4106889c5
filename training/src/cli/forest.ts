import type { Command } from "commander";
import { nodeRankFromEnv, runShareJob } from "../jobs/distributed.js";
import type { CliContext } from "./context.js";
import { datasetCommand, seedFlag, threadsFlag, treesFlag } from "./flags.js";

/**
 * Adds `mlops forest share`: one node's trees of a forest trained across the nodes of a
 * distributed job. The merge step is `mlops train --from-shares DIR`, which registers the result.
 */
export function registerForestCommands(program: Command, ctx: CliContext): void {
  const forest = program
    .command("forest")
    .description("Train one forest across the nodes of a distributed job.");
  datasetCommand(
    forest,
    "share",
    "Train this node's share of the trees (rank and world size from RANK and WORLD_SIZE) into --out/share-<rank>.json.",
  )
    .requiredOption("--out <dir>", "folder shared by every node")
    .option("--trees <n>", "trees of the whole forest", treesFlag, 100)
    .option("--seed <s>", "seed of the forest and of the split", seedFlag, 42)
    .option("--threads <t>", "worker threads on this node (1 to 64)", threadsFlag, 1)
    .option("--json", "print one JSON object instead of text")
    .action(async (opts: ShareFlags) => {
      const node = nodeRankFromEnv(ctx.io.env);
      const result = await runShareJob({ ...opts, node });
      ctx.print(
        opts.json,
        { ...node, ...result },
        () => `rank ${node.rank} of ${node.worldSize}: ${result.trees} trees → ${result.file}\n`,
      );
    });
}

interface ShareFlags {
  data: string;
  label: string;
  out: string;
  trees: number;
  seed: number;
  threads: number;
  json?: boolean;
}
