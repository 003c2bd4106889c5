import { defineConfig } from "vitest/config";

// One root config; each package is a project with its own `vitest.config.ts`
// (defineProject), so `pnpm test` runs every unit and cross-package suite, after one build
// (scripts/test-setup.ts) that the dashboard's tests and the compiled-process tests use.
export default defineConfig({
  test: {
    projects: ["*/vitest.config.ts", "services/*/vitest.config.ts"],
    globalSetup: ["scripts/test-setup.ts"],
  },
});
