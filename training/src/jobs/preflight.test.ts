import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptionError } from "../errors.js";
import { requireArtifactRoot } from "./preflight.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-preflight-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("requireArtifactRoot", () => {
  it("accepts a folder that exists or can be made, and leaves nothing behind", async () => {
    requireArtifactRoot(root);
    const missing = join(root, "a", "b");
    requireArtifactRoot(missing);
    expect(existsSync(join(root, "a"))).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });

  it("names --artifacts, where on its path the folder cannot be made, and why", async () => {
    const file = join(root, "file");
    await writeFile(file, "");
    for (const artifacts of [file, join(file, "below"), "/dev/null"]) {
      const at = artifacts === "/dev/null" ? artifacts : file;
      expect(() => requireArtifactRoot(artifacts)).toThrow(OptionError);
      expect(() => requireArtifactRoot(artifacts)).toThrow(
        `--artifacts must be a folder that can be created and written (${at}: a folder on its path is a file) (got "${artifacts}")`,
      );
    }
    expect(await readdir(root)).toEqual(["file"]);
  });
});
