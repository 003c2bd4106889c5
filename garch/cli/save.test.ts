import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkTarget, saveText } from "./save.js";

const dir = mkdtempSync(join(tmpdir(), "garch-save-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("saveText", () => {
  it("replaces a regular file whole, leaving no temporary file", () => {
    const path = join(dir, "plain.json");
    writeFileSync(path, "old old old\n");
    saveText(path, "new\n");
    expect(readFileSync(path, "utf8")).toBe("new\n");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("writes the end of a chain of links, the links kept, in the target's own folder", () => {
    mkdirSync(join(dir, "real"));
    const target = join(dir, "real", "fit.json");
    writeFileSync(target, "old\n");
    symlinkSync(target, join(dir, "first.json"));
    symlinkSync("first.json", join(dir, "second.json"));
    expect(linkTarget(join(dir, "second.json"))).toBe(target);
    saveText(join(dir, "second.json"), "new\n");
    expect(readFileSync(target, "utf8")).toBe("new\n");
    expect(lstatSync(join(dir, "first.json")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, "second.json")).isSymbolicLink()).toBe(true);
  });

  it("creates the missing target of a dangling link, as the shell's > does", () => {
    symlinkSync("missing.json", join(dir, "dangling.json"));
    saveText(join(dir, "dangling.json"), "made\n");
    expect(readFileSync(join(dir, "missing.json"), "utf8")).toBe("made\n");
    expect(lstatSync(join(dir, "dangling.json")).isSymbolicLink()).toBe(true);
  });

  it("refuses a loop of links and a folder, naming the reason in the error's code", () => {
    symlinkSync("loop-b", join(dir, "loop-a"));
    symlinkSync("loop-a", join(dir, "loop-b"));
    expect(() => saveText(join(dir, "loop-a"), "x")).toThrow(
      expect.objectContaining({ code: "ELOOP" }),
    );
    expect(() => saveText(join(dir, "real"), "x")).toThrow(
      expect.objectContaining({ code: "EISDIR" }),
    );
  });
});
