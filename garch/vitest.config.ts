import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "garch", include: ["{src,cli,io}/**/*.test.ts"] },
});
