/**
 * `GET /metrics`: Prometheus exposition, what the autoscaler and dashboards scrape. A cluster
 * worker answers with every worker's metrics merged (cluster.ts), as one process would.
 */
import type { FastifyPluginAsync } from "fastify";
import { clusterExposition, isClusterWorker } from "../cluster.js";
import { NEVER_SHED } from "../plugins/security.js";

const routes: FastifyPluginAsync = async (app) => {
  const options = { schema: { summary: "Prometheus metrics" }, config: NEVER_SHED };
  app.get("/metrics", options, async (_, reply) => {
    const { registry } = app.metrics;
    const text = isClusterWorker() ? await clusterExposition() : await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
};

export default routes;
