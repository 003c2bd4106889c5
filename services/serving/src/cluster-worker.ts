/** A serving worker forked by the cluster primary (cluster.ts): its config is in its environment. */
import { runServer } from "./run-server.js";
import { configOrExit, exitOnFailure } from "./server.js";

await exitOnFailure(() => runServer(configOrExit(process.env), { kind: "worker" }));
