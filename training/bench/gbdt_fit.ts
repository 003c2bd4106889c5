/**
 * This package's side of bench/gbdt.bench.ts, in its own process like the Python peers: it fits
 * gbdt with its defaults on the demo split for each `demo` line read from stdin and answers one
 * JSON line `{wall_ms, cpu_ms, accuracy}`.
 *
 *   tsx bench/gbdt_fit.ts DATA.csv LABEL ROUNDS SEED
 */
import { createInterface } from "node:readline";
import { fitGbdt, loadDataset, takeRows } from "../src/index.js";
import { accuracyOf, positiveInteger, type Timed, timedFit } from "./common.js";

const [data, label, roundsText, seedText] = process.argv.slice(2);
const options = {
  nEstimators: positiveInteger("ROUNDS", roundsText),
  seed: positiveInteger("SEED", seedText, 0),
};
const dataset = await loadDataset(data, { label, seed: options.seed });
const train = takeRows(dataset, dataset.split.train);
const test = takeRows(dataset, dataset.split.test);
// Warm the JIT first: the Python side's first fit compiles nothing either.
await fitGbdt(train, options);

for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "demo") throw new Error(`unknown command ${JSON.stringify(line)}`);
  const { result, wall_ms, cpu_ms } = await timedFit(train, options);
  const answer: Timed = {
    wall_ms,
    cpu_ms,
    accuracy: accuracyOf(result.predictor.predict(test.x), test.y),
  };
  console.log(JSON.stringify(answer));
}
