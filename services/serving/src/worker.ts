/** A serving worker forked by the cluster primary (cluster.ts): its config is in its environment. */
import { configOrExit, exitOnFailure, runServer } from "./server.js";

await exitOnFailure(() => runServer(configOrExit(process.env), { clustered: true }));
