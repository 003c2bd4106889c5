import { defineProject } from "vitest/config";

// Tests that start training threads take seconds on a loaded 2-core machine (as the store's do).
export default defineProject({
  test: {
    name: "training",
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
