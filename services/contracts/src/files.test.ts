import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FileWriteError,
  fileErrorReason,
  makeDirectory,
  readBoundedFile,
  readJsonFile,
  stageFile,
  writeFileAtomically,
} from "./files.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "contracts-files-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const failure = async (write: Promise<unknown>) => {
  try {
    await write;
  } catch (error) {
    return error as FileWriteError;
  }
  throw new Error("expected the write to fail");
};

describe("writeFileAtomically", () => {
  it("writes the whole file, creating its folder, and replaces an older one", async () => {
    const path = join(dir, "a", "b", "out.json");
    await writeFileAtomically(path, "first");
    await writeFileAtomically(path, "second");
    expect(await readFile(path, "utf8")).toBe("second");
    expect(await readdir(join(dir, "a", "b"))).toEqual(["out.json"]);
  });

  it("names the file and the reason, and leaves nothing behind", async () => {
    const onFolder = await failure(writeFileAtomically(join(dir, "a"), "x"));
    expect(onFolder).toBeInstanceOf(FileWriteError);
    expect(onFolder.message).toBe(`cannot write ${join(dir, "a")}: it is a directory`);
    const blocker = join(dir, "file");
    await writeFile(blocker, "");
    const underFile = await failure(writeFileAtomically(join(blocker, "out.json"), "x"));
    expect(underFile.message).toBe(
      `cannot write ${join(blocker, "out.json")}: a folder on its path is a file`,
    );
    expect((await readdir(dir)).sort()).toEqual(["a", "file"]);
    expect(await readdir(join(dir, "a"))).toEqual(["b"]);
  });
});

describe("stageFile", () => {
  it("writes nothing at the path until commit, and nothing at all after discard", async () => {
    const folder = join(dir, "staged");
    const path = join(folder, "decision.json");
    const staged = await stageFile(path, "{}");
    expect(existsSync(path)).toBe(false);
    await staged.commit();
    expect(await readFile(path, "utf8")).toBe("{}");
    const dropped = await stageFile(path, "[]");
    await dropped.discard();
    await dropped.discard();
    expect(await readFile(path, "utf8")).toBe("{}");
    expect(await readdir(folder)).toEqual(["decision.json"]);
  });

  it("fails when staging, not at commit, where a folder stands at the path", async () => {
    const folder = join(dir, "staged-on-folder");
    await mkdir(join(folder, "report.md"), { recursive: true });
    const staged = await failure(stageFile(join(folder, "report.md"), "x"));
    expect(staged.message).toBe(`cannot write ${join(folder, "report.md")}: it is a directory`);
    expect(await readdir(folder)).toEqual(["report.md"]);
  });

  it("writes through a symbolic link, leaving the link a link", async () => {
    const folder = join(dir, "linked");
    await mkdir(join(folder, "real"), { recursive: true });
    await writeFile(join(folder, "real", "report.md"), "old");
    await symlink(join("real", "report.md"), join(folder, "report.md"));
    // A dangling link is written through too: its target is created.
    await symlink(join("real", "new.md"), join(folder, "new.md"));
    for (const name of ["report.md", "new.md"]) {
      await (await stageFile(join(folder, name), "fresh")).commit();
      expect(lstatSync(join(folder, name)).isSymbolicLink(), name).toBe(true);
      expect(await readFile(join(folder, "real", name), "utf8"), name).toBe("fresh");
    }
    expect((await readdir(join(folder, "real"))).sort()).toEqual(["new.md", "report.md"]);
  });

  it("writes a device or a pipe in place, at commit, instead of renaming over it", async () => {
    const pipe = join(dir, "out.fifo");
    expect(spawnSync("mkfifo", [pipe]).status).toBe(0);
    const staged = await stageFile(pipe, "through the pipe");
    const reader = readFile(pipe, "utf8");
    await staged.commit();
    expect(await reader).toBe("through the pipe");
    expect(statSync(pipe).isFIFO()).toBe(true);
    await (await stageFile(pipe, "dropped")).discard();
    expect(statSync(pipe).isFIFO()).toBe(true);
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/out\.fifo.*tmp/));
  });

  it("refuses a path that names no file", async () => {
    for (const path of ["", `${join(dir, "folder")}/`]) {
      const error = await failure(stageFile(path, "x"));
      expect(error).toBeInstanceOf(FileWriteError);
      expect(error.message).toBe(`cannot write ${JSON.stringify(path)}: it names no file`);
    }
  });
});

describe("makeDirectory", () => {
  const codeOf = (make: () => void) => {
    try {
      make();
    } catch (error) {
      return (error as NodeJS.ErrnoException).code;
    }
    return "no error";
  };

  it("creates every missing folder, and is content with one that exists", () => {
    const deep = join(dir, "made", "x", "y");
    makeDirectory(deep);
    makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it("throws mkdir's own error where a folder cannot be made", async () => {
    const file = join(dir, "plain-file");
    await writeFile(file, "");
    expect(codeOf(() => makeDirectory(join(file, "sub")))).toBe("ENOTDIR");
    const dangling = join(dir, "dangling");
    await symlink(join(dir, "nowhere"), dangling);
    expect(codeOf(() => makeDirectory(join(dangling, "sub")))).toBe("ENOENT");
  });

  // Node's recursive mkdir spins forever on this path: run in a process that can be timed out.
  it.runIf(existsSync("/proc/self"))("fails at once under /proc, where mkdir says ENOENT", () => {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
    const script = `import("./src/files.ts").then(({ makeDirectory }) => {
      try { makeDirectory("/proc/no-such-folder/x"); console.log("made"); }
      catch (error) { console.log(error.code); }
    })`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: pkg,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.signal).toBeNull();
    expect(child.stdout.trim()).toBe("ENOENT");
  });
});

describe("readBoundedFile", () => {
  const codeOf = (read: Promise<Buffer>) =>
    read.then(
      () => "no error",
      (error: NodeJS.ErrnoException) => error.code,
    );

  it("reads a file whole, up to the cap", async () => {
    const file = join(dir, "bounded.txt");
    await writeFile(file, "x".repeat(3_000_000));
    expect((await readBoundedFile(file, 3_000_000)).length).toBe(3_000_000);
    expect(await codeOf(readBoundedFile(file, 2_999_999))).toBe("EFBIG");
    expect(await codeOf(readBoundedFile(dir))).toBe("EISDIR");
    expect(await codeOf(readBoundedFile(join(dir, "missing")))).toBe("ENOENT");
  });

  it.runIf(existsSync("/usr/bin/mkfifo"))(
    "reads a pipe whole, whatever its reads give",
    async () => {
      const fifo = join(dir, "pipe");
      spawnSync("/usr/bin/mkfifo", [fifo]);
      const text = "0123456789abcdef".repeat(200_000);
      const source = join(dir, "pipe-source.txt");
      await writeFile(source, text);
      // The writer opens the pipe once the reader has: a shell in the background.
      const writer = spawn("/bin/sh", ["-c", `cat "${source}" > "${fifo}"`]);
      // Listened for at once: the writer may be gone before the last read returns.
      const exited = new Promise((resolve) => writer.once("exit", resolve));
      const bytes = await readBoundedFile(fifo);
      await exited;
      expect(bytes.toString("utf8")).toBe(text);
      expect(await codeOf(readBoundedFile(source, text.length - 1))).toBe("EFBIG");
    },
  );

  it.runIf(existsSync("/dev/zero"))("stops an endless device at the cap", async () => {
    expect(await codeOf(readBoundedFile("/dev/zero", 5_000_000))).toBe("EFBIG");
    expect(fileErrorReason(Object.assign(new Error(), { code: "EFBIG" }))).toBe(
      "it is larger than 1 GiB, the most an input file may hold",
    );
  });
});

describe("fileErrorReason", () => {
  it("puts the system's codes in words, and keeps any other message", () => {
    expect(fileErrorReason(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(
      "no such file or directory",
    );
    expect(fileErrorReason(new Error("something else"))).toBe("something else");
  });
});

describe("readJsonFile", () => {
  it("parses the file, and says why in words when it cannot", async () => {
    const good = join(dir, "good.json");
    await writeFile(good, '{"a":[1,2]}');
    expect(await readJsonFile(good)).toEqual({ a: [1, 2] });
    const missing = join(dir, "none.json");
    await expect(readJsonFile(missing)).rejects.toMatchObject({
      name: "JsonFileError",
      path: missing,
      reason: "no such file or directory",
      message: `cannot read ${missing}: no such file or directory`,
    });
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{a:");
    await expect(readJsonFile(broken)).rejects.toMatchObject({
      reason: expect.stringMatching(/^it is not valid JSON \(Expected/),
    });
  });
});
