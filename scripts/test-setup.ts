/**
 * Vitest global set-up (root config): `pnpm build` once before any suite, so tests run against
 * the dashboard's built assets and can start the compiled processes as the images do.
 */
import { buildWorkspace } from "./build.ts";

export default async function setup(): Promise<void> {
  await buildWorkspace();
}
