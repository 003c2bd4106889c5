/**
 * The serving image's process (`node dist/main.js`): serves the models the environment's config
 * names, with `MLOPS_WORKERS` processes (server.ts).
 */
import { configOrExit, exitOnFailure, serve } from "./server.js";

await exitOnFailure(() => serve(configOrExit(process.env)));
