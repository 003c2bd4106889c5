import { defineProject } from "vitest/config";

export default defineProject({
  // Suites here start real server processes: give them room, and run files one at a time so
  // two suites never compete for the machine's two cores.
  test: {
    name: "tests",
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
