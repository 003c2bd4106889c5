import { defineConfig } from "vitest/config";

// One root config; each package is a project with its own `vitest.config.ts`
// (defineProject), so `pnpm test` runs every unit and cross-package suite.
export default defineConfig({
  test: {
    projects: ["*/vitest.config.ts", "services/*/vitest.config.ts"],
  },
});
