/**
 * The floor under `pnpm bench:prod`'s figure: a server that does only what any JSON-over-HTTP
 * prediction endpoint must (read the body, parse it, write a fixed answer as large as a real
 * prediction's), with the image's two workers, so the benchmark can say how much of a request's
 * CPU is the HTTP exchange itself and how much is the service's work. `FLOOR=fastify` answers
 * through Fastify (its router, hooks and serializer, no plugins), `FLOOR=node` through node:http
 * alone; any GET answers 200 (readiness). Run by bench:prod with plain `node` (type stripping),
 * never by the product.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import Fastify from "fastify";

const port = Number(process.env.PORT);
const kind = process.env.FLOOR;
if (!(port > 0) || (kind !== "fastify" && kind !== "node")) {
  throw new Error("floor-server needs PORT and FLOOR=fastify|node");
}

/** A prediction's answer: the contract's fields at their usual sizes. */
const ANSWER = {
  request_id: "0192f0a1-7e21-7c4a-9f0e-5d2b8a61c3f4",
  prediction: "1",
  probability: 0.87,
  probabilities: { "0": 0.13, "1": 0.87 },
  variant: "champion",
  model: { name: "classifier", version: 1 },
  model_version: "1",
  experiment_id: "default",
};

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
} else if (kind === "node") {
  const body = JSON.stringify(ANSWER);
  createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end("{}");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
    });
  }).listen(port, "127.0.0.1");
} else {
  const app = Fastify({ logger: false });
  app.get("/health/ready", async () => ({ status: "ready" }));
  app.post("/predict", () => ANSWER);
  await app.listen({ port, host: "127.0.0.1" });
}
