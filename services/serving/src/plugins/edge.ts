/**
 * The public edge, server side: the secrets mounted from Key Vault (API keys, canary tokens),
 * kept current; and, with `MLOPS_OPS_INTERNAL_ONLY`, a 404 for any request that came through a
 * proxy (it carries `Forwarded` or `X-Forwarded-For`) to a path outside the server's public paths
 * (`PUBLIC_PATHS`: the prediction API's, or in garch mode the GARCH service's). The public route
 * already publishes only those paths; this holds even when a route is wider than it should be.
 * Probes and Prometheus reach the pod directly and are not affected.
 */
import { isPublicPath, PUBLIC_PATHS, type ServingConfig } from "@mlops/contracts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { EdgeSecrets } from "../edge/secrets.js";
import { notFoundBody } from "../errors.js";

declare module "fastify" {
  interface FastifyInstance {
    edgeSecrets: EdgeSecrets;
  }
}

export interface EdgeOptions {
  readonly config: ServingConfig;
}

/** True when a proxy (the gateway, an ingress) forwarded `request`. */
const proxied = (request: FastifyRequest) =>
  request.headers.forwarded !== undefined || request.headers["x-forwarded-for"] !== undefined;

export default fp(
  async function edge(app: FastifyInstance, opts: EdgeOptions) {
    const { edge } = opts.config;
    const secrets = await EdgeSecrets.open(edge.secretsDir, edge.secretsRefreshMs, (err) =>
      app.log.warn({ err }, "re-reading the mounted secrets failed; keeping the last ones"),
    );
    app.addHook("onClose", async () => secrets.close());
    if (edge.auth.mode === "api-keys" && edge.auth.sha256.length === 0) {
      if (secrets.count("api-key") === 0) {
        secrets.close();
        throw new Error(`MLOPS_AUTH is api-keys but ${edge.secretsDir} holds no api-key-* file`);
      }
    }
    app.decorate("edgeSecrets", secrets);
    if (edge.opsInternalOnly) {
      const publicPaths = PUBLIC_PATHS[opts.config.mode === "garch" ? "garch" : "api"];
      app.addHook("onRequest", async (request, reply) => {
        if (proxied(request) && !isPublicPath(request.url, publicPaths)) {
          return reply.code(404).send(notFoundBody(request));
        }
      });
    }
  },
  { name: "edge" },
);
