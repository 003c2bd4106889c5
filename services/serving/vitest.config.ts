import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "serving",
    include: ["src/**/*.test.ts"],
    globalSetup: ["test-support/global-setup.ts"],
  },
});
