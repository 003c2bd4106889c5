/**
 * Reports how long each served model took to load at start: one `model loaded` log line per model
 * (the record the dashboard's model-load tile reads, contracts' `MODEL_LOADED_LOG`) and the
 * `model_load_seconds` gauge. Registered once the metrics exist.
 */
import { MODEL_LOADED_LOG } from "@mlops/contracts";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { registerModelLoads } from "../metrics.js";

async function modelLoads(app: FastifyInstance): Promise<void> {
  const { loads } = app.served;
  registerModelLoads(app.metrics.registry, loads);
  const F = MODEL_LOADED_LOG.fields;
  for (const load of loads) {
    app.log.info(
      { [F.model]: load.model, [F.kind]: load.kind, [F.ms]: load.ms },
      MODEL_LOADED_LOG.message,
    );
  }
}

export default fp(modelLoads, { name: "model-loads" });
