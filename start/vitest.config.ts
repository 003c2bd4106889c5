import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "start", include: ["src/**/*.test.ts"] },
});
