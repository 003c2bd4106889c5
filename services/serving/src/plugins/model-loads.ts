/**
 * Reports how long each served model took to load: one `model loaded` log line per model (the
 * record the dashboard's model-load tile reads, contracts' `MODEL_LOADED_LOG`) and the
 * `model_load_seconds` gauge. When a promotion moves the configured GARCH reference to another
 * version, its load replaces the old one's: a line, and the gauge's series under the new label
 * in place of the old label's. Registered once the metrics exist.
 */
import { MODEL_LOADED_LOG } from "@mlops/contracts";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { registerModelLoads } from "../metrics.js";
import type { ModelLoad } from "../models/served.js";

async function modelLoads(app: FastifyInstance): Promise<void> {
  const { served, metrics } = app;
  const gauge = registerModelLoads(metrics.registry, served.loads);
  const F = MODEL_LOADED_LOG.fields;
  const logLoad = (load: ModelLoad) =>
    app.log.info(
      { [F.model]: load.model, [F.kind]: load.kind, [F.ms]: load.ms },
      MODEL_LOADED_LOG.message,
    );
  for (const load of served.loads) logLoad(load);
  served.onGarchReload((load, replaced) => {
    gauge.remove({ model: replaced.model });
    gauge.set({ model: load.model }, load.ms / 1000);
    logLoad(load);
  });
}

export default fp(modelLoads, { name: "model-loads" });
