/**
 * Worker-thread entry of `HistogramWorkers`: waits on the control block, sums its share of the
 * features of each node it is woken for into the shared histogram, and counts itself done.
 */
import { parentPort, workerData } from "node:worker_threads";
import { featureShare, type HistogramWorkerData, Slot } from "./control.js";
import { buildHistogram } from "./histogram.js";

const { input, control, hist, index, participants } = workerData as HistogramWorkerData;
const workers = participants - 1;
parentPort!.postMessage("ready");
for (let seen = 0; ; ) {
  Atomics.wait(control, Slot.Generation, seen);
  seen = Atomics.load(control, Slot.Generation);
  if (Atomics.load(control, Slot.Stop) !== 0) break;
  try {
    const count = control[Slot.FeatureCount];
    const features = control.subarray(Slot.Features, Slot.Features + count);
    const [from, to] = featureShare(count, index, participants);
    buildHistogram(
      input,
      control[Slot.GhBase],
      control[Slot.Start],
      control[Slot.End],
      features,
      from,
      to,
      hist,
    );
  } catch {
    Atomics.store(control, Slot.Failed, 1);
  }
  if (Atomics.add(control, Slot.Done, 1) + 1 === workers) Atomics.notify(control, Slot.Done);
}
