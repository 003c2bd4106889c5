/**
 * A stand-in Application Insights ingestion endpoint for tests: HTTPS on 127.0.0.1 (the SDK
 * only posts over https), answering every POST like the service does and appending each
 * envelope, one JSON per line, to a file. Run it in its own process, or its own requests would
 * be traced by the SDK under test.
 *
 * Given an identity header it behaves like a component with local auth off: it also serves
 * managed-identity tokens at `/msi/token` the way App Service's identity endpoint does
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, learn.microsoft.com/azure/app-service/
 * overview-managed-identity, REST protocol), answers 401 to any POST without one of those tokens,
 * and appends each POST's Authorization header to `OUT.auth`.
 *
 *   tsx collector.ts CERT.pem KEY.pem OUT.jsonl [IDENTITY_HEADER]   → prints "listening PORT"
 */
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { gunzipSync } from "node:zlib";

const [cert, key, out, identityHeader] = process.argv.slice(2);
const entra = identityHeader !== undefined;
/** Tokens handed out so far. */
const issued = new Set<string>();

const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (entra && req.method === "GET" && req.url?.startsWith("/msi/token")) {
      if (req.headers["x-identity-header"] !== identityHeader) {
        res.writeHead(401).end();
        return;
      }
      const resource = new URL(req.url, "https://127.0.0.1").searchParams.get("resource") ?? "";
      const token = `token-${issued.size + 1}-for-${resource}`;
      issued.add(token);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource,
          token_type: "Bearer",
        }),
      );
      return;
    }
    if (entra && req.method === "POST") {
      const authorization = req.headers.authorization ?? "none";
      appendFileSync(`${out}.auth`, `${authorization}\n`);
      if (!issued.has(authorization.replace(/^Bearer /, ""))) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ itemsReceived: 0, itemsAccepted: 0, errors: [] }));
        return;
      }
    }
    let body = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    const text = body.toString("utf8").trim();
    let accepted = 0;
    if (req.method === "POST" && text !== "") {
      const envelopes: unknown[] = text.startsWith("[")
        ? JSON.parse(text)
        : text.split("\n").map((line) => JSON.parse(line));
      for (const e of envelopes) appendFileSync(out, `${JSON.stringify(e)}\n`);
      accepted = envelopes.length;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ itemsReceived: accepted, itemsAccepted: accepted, errors: [] }));
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
// The SDK keeps its connection alive: exit rather than wait for it to close.
process.on("SIGTERM", () => process.exit(0));
