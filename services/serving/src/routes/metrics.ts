/**
 * `GET /metrics`: Prometheus exposition, what the autoscaler and dashboards scrape. A cluster
 * worker answers with every worker's metrics merged (cluster.ts), as one process would.
 */
import type { FastifyPluginAsync } from "fastify";
import { clusterExposition, isClusterWorker } from "../cluster.js";

const routes: FastifyPluginAsync = async (app) => {
  app.get("/metrics", { schema: { summary: "Prometheus metrics" } }, async (_, reply) => {
    const { registry } = app.metrics;
    const text = isClusterWorker() ? await clusterExposition() : await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
};

export default routes;
