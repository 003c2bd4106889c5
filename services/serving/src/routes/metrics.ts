/**
 * `GET /metrics`: Prometheus exposition, what the autoscaler and dashboards scrape. With several
 * serving processes, each answers with all of theirs merged (cluster.ts), as one process would.
 */
import type { FastifyPluginAsync } from "fastify";
import { machineExposition } from "../cluster.js";
import { NEVER_SHED } from "../plugins/security.js";

const routes: FastifyPluginAsync = async (app) => {
  const options = { schema: { summary: "Prometheus metrics" }, config: NEVER_SHED };
  app.get("/metrics", options, async (_, reply) => {
    const { registry } = app.metrics;
    return reply.type(registry.contentType).send(await machineExposition(registry));
  });
};

export default routes;
