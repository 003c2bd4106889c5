/**
 * `pnpm start`'s first step, from sources (tsx) before the build: a bad environment value fails
 * here at once, as start.ts would fail on it, and nothing is built.
 */
import { localConfigOrExit } from "./local-config.js";

await localConfigOrExit(process.env);
