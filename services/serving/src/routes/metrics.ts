/** `GET /metrics`: Prometheus exposition, what the autoscaler and dashboards scrape. */
import type { FastifyPluginAsync } from "fastify";

const routes: FastifyPluginAsync = async (app) => {
  app.get("/metrics", { schema: { summary: "Prometheus metrics" } }, async (_, reply) => {
    const { registry } = app.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};

export default routes;
