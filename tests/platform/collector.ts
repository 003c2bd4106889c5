/**
 * A stand-in Application Insights ingestion endpoint for tests: HTTPS on 127.0.0.1 (the SDK
 * only posts over https), answering every POST like the service does and appending each
 * envelope, one JSON per line, to a file. Run it in its own process, or its own requests would
 * be traced by the SDK under test.
 *
 *   tsx collector.ts CERT.pem KEY.pem OUT.jsonl   → prints "listening PORT"
 */
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { gunzipSync } from "node:zlib";

const [cert, key, out] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
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
