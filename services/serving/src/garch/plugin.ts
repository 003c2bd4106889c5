/**
 * Decorates the app with the GARCH service (`app.garch`), the one implementation the platform's
 * `/garch/*` routes and the GARCH service's routes share. Registered after the metrics exist.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createFitter } from "./fitter.js";
import { createGarchService, type GarchService } from "./service.js";

declare module "fastify" {
  interface FastifyInstance {
    garch: GarchService;
  }
}

async function garchService(app: FastifyInstance): Promise<void> {
  const { config, store, served, metrics } = app;
  const fitter = createFitter();
  app.addHook("onClose", () => fitter.close());
  app.decorate("garch", createGarchService({ config, store, served, metrics, fitter }));
}

export default fp(garchService, { name: "garch-service" });
