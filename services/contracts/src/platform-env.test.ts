import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nearestName, unknownPlatformVariables } from "./platform-env.js";
import { SERVING_ENV } from "./serving-config.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SERVED = Object.values(SERVING_ENV);

/** Code and configuration that sets or reads environment variables (docs are not scanned). */
const SCANNED = /\.(ts|mjs|js|ya?ml|sh)$|(^|\/)Dockerfile$/;
/** Files that misspell variables on purpose. */
const DELIBERATE = new Set(["serving-config.test.ts", "platform-env.test.ts"]);

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (SCANNED.test(path) && !DELIBERATE.has(entry.name)) yield path;
  }
}

describe("the MLOPS_ namespace", () => {
  it("knows every MLOPS_ variable the repository's processes, manifests, pipelines and tests use", () => {
    const dirs = ["k8s", "start", "services", "training", "infra", "tests", ".github"];
    const used = new Set<string>();
    // GitHub repository variables and secrets (`vars.MLOPS_RUNNER`, `secrets.…`) are no
    // process's environment, wherever they are named (a comment, a test's expectation).
    const pipelineNames = new Set<string>();
    for (const dir of dirs) {
      for (const file of files(join(ROOT, dir))) {
        const text = readFileSync(file, "utf8");
        for (const [, name] of text.matchAll(/\b(?:vars|secrets)\.(MLOPS_\w+)/g)) {
          pipelineNames.add(name!);
        }
        // Nor are constants named like one (a test's `const MLOPS_BIN = …`).
        const constants = new Set([...text.matchAll(/const (MLOPS_\w+)/g)].map((m) => m[1]));
        for (const [name] of text.matchAll(/\bMLOPS_[A-Z0-9_]*[A-Z0-9]\b/g)) {
          if (!constants.has(name)) used.add(name);
        }
      }
    }
    for (const name of pipelineNames) used.delete(name);
    expect(used.size).toBeGreaterThan(20);
    expect(unknownPlatformVariables([...used], SERVED)).toEqual([]);
  });

  it("suggests the nearest name the server reads, with or without the prefix", () => {
    expect(nearestName("MLOPS_CHALENGER_WEIGHT", SERVED)).toBe("MLOPS_CHALLENGER_WEIGHT");
    expect(nearestName("MLOPS_WORKER", SERVED)).toBe("MLOPS_WORKERS");
    expect(nearestName("MLOPS_PORT", SERVED)).toBe("PORT");
    expect(nearestName("MLOPS_SOMETHING_ELSE", SERVED)).toBeNull();
    // Three edits from PORT and from MODE, but that is most of either: no misspelling.
    expect(nearestName("MLOPS_FOO", SERVED)).toBeNull();
  });

  it("refuses only unknown names in the namespace", () => {
    const issues = unknownPlatformVariables(
      ["PATH", "MLOPS_STORE", "MLOPS_SMOKE_API_KEY", "MLOPS_STOER"],
      SERVED,
    );
    expect(issues).toEqual([
      {
        path: "MLOPS_STOER",
        message: "is not a variable of the platform; did you mean MLOPS_STORE?",
      },
    ]);
  });
});
