/**
 * Files the CLIs read and write, with failures in words: Node's own messages name the system
 * call (and, for an atomic write, the temporary file rather than the one the user named). And
 * the module file a worker pool runs, beside the module that starts it.
 */
import { constants, existsSync, lstatSync, mkdirSync, readlinkSync, statSync } from "node:fs";
import { access, open, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Largest input file the CLIs read whole (a data set, a series, a config): 1 GiB. A CSV of the
 * 10^7 returns a GARCH fit takes at most is about 200 MB.
 */
export const MAX_INPUT_BYTES = 2 ** 30;

/** File-system failures in words, by the system's error code. */
const FILE_ERRORS: Readonly<Record<string, string>> = {
  EFBIG: "it is larger than 1 GiB, the most an input file may hold",
  ENOENT: "no such file or directory",
  EISDIR: "it is a directory",
  ENOTDIR: "a folder on its path is a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
};

/** Why a file could not be read or written, in words. */
export function fileErrorReason(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  return FILE_ERRORS[code ?? ""] ?? message;
}

/**
 * `mkdir -p dir`, top down. Node's recursive mkdir never returns where mkdir answers ENOENT under
 * a folder that exists (any path under /proc): it takes the ENOENT for a missing parent, creates
 * the parent (EEXIST), and retries the child, forever, at full CPU. Here each missing folder is
 * created once, from the first one that exists, so such an answer is final and thrown.
 * @throws the system's error (ENOENT, ENOTDIR, EACCES, EROFS…), as mkdir gives it.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Created meanwhile by another process: as good, if it is a folder.
      if ((error as { code?: string }).code !== "EEXIST" || !statSync(folder).isDirectory()) {
        throw error;
      }
    }
  }
}

/** Bytes read from a file at a time when its size is not known ahead (a pipe, a device). */
const CHUNK_BYTES = 2 ** 20;

/**
 * The bytes of the file at `path`, at most `maxBytes` of them. A regular file larger than that
 * is refused before anything is read; a pipe or a device (/dev/stdin, /dev/zero) is read until
 * its end or until it has given more, so an endless one fails at the cap instead of filling
 * memory (Node's readFile reads such a file to 2 GiB, held as it grows).
 * @throws the system's error, or one with code EFBIG past the cap.
 */
export async function readBoundedFile(path: string, maxBytes = MAX_INPUT_BYTES): Promise<Buffer> {
  const tooLarge = () =>
    Object.assign(new Error(`${path} is larger than ${maxBytes} bytes`), { code: "EFBIG" });
  const handle = await open(path, "r");
  try {
    const stat = await handle.stat();
    if (stat.isFile() && stat.size > maxBytes) throw tooLarge();
    // Each buffer is filled before the next is made: a pipe gives 64 KiB a read, and a buffer
    // per read would hold 16 times the input.
    const chunks: Buffer[] = [];
    let total = 0;
    let chunk = Buffer.allocUnsafe(0);
    let filled = 0;
    for (;;) {
      if (filled === chunk.length) {
        if (filled > 0) chunks.push(chunk);
        chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
        filled = 0;
      }
      const { bytesRead } = await handle.read(chunk, filled, chunk.length - filled, null);
      if (bytesRead === 0) return Buffer.concat([...chunks, chunk.subarray(0, filled)], total);
      filled += bytesRead;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge();
    }
  } finally {
    await handle.close();
  }
}

/**
 * UTF-8 bytes as text without a leading byte-order mark, as the dataset's CSV and YAML readers
 * take it (an editor's "UTF-8 with BOM" would otherwise be text that JSON.parse refuses).
 */
export function utf8Text(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

/** {@link readBoundedFile}'s bytes as UTF-8 text ({@link utf8Text}). */
export async function readBoundedText(path: string): Promise<string> {
  return utf8Text(await readBoundedFile(path));
}

/** A JSON file that could not be read or parsed; `reason` says why in words. */
export class JsonFileError extends Error {
  override readonly name = "JsonFileError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }
}

/**
 * The parsed contents of the JSON file at `path`.
 * @throws JsonFileError: the file cannot be read (why, in words), or it is not JSON (where).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readBoundedText(path);
  } catch (error) {
    throw new JsonFileError(path, fileErrorReason(error));
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonFileError(path, `it is not valid JSON (${(error as Error).message})`);
  }
}

/** A file that could not be written: the message names it and says why. */
export class FileWriteError extends Error {
  override readonly name = "FileWriteError";
}

/** A file written beside the place it goes, until `commit` puts it there or `discard` drops it. */
export interface StagedFile {
  /** Moves the file into place. @throws FileWriteError naming the path and the reason. */
  commit(): Promise<void>;
  /** Removes the staged file (nothing is left behind); never throws. */
  discard(): Promise<void>;
}

/** Most symbolic links followed to find where a path leads (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/**
 * Where a write to `path` lands: the file a symbolic link leads to (the link stays a link), or
 * `path`; and whether that is a device, a pipe or a socket, which is written in place (a rename
 * over `/dev/null` would replace the device with a file).
 */
function writeTarget(path: string): { readonly path: string; readonly inPlace: boolean } {
  let current = path;
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    const info = lstatSync(current, { throwIfNoEntry: false });
    if (!info?.isSymbolicLink()) {
      const special = info !== undefined && !info.isFile() && !info.isDirectory();
      return { path: current, inPlace: special };
    }
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw Object.assign(new Error(`${path}: too many symbolic links`), { code: "ELOOP" });
}

/**
 * Writes `data` to a temporary file beside `path` (creating its folder), for a command to put in
 * place once what the file records has happened: everything that can fail (the folder, the
 * space, a folder standing at `path`) fails here, and `commit` is a rename in the same folder.
 * A symbolic link is written through (its target replaced, the link kept), and a device, pipe or
 * socket (`/dev/null`, `/dev/stdout`) is written in place at `commit`.
 * @throws FileWriteError naming `path` and the reason; nothing is left behind.
 */
export async function stageFile(path: string, data: string | Uint8Array): Promise<StagedFile> {
  if (path === "" || path.endsWith(sep)) {
    throw new FileWriteError(`cannot write ${JSON.stringify(path)}: it names no file`);
  }
  let temporary = "";
  const discard = () =>
    rm(temporary, { force: true }).then(
      () => undefined,
      () => undefined,
    );
  const fail = async (error: unknown): Promise<never> => {
    // Where the folder itself is unusable no temporary file was made, and removing it fails too.
    if (temporary !== "") await discard();
    // mkdir's EEXIST: a file stands where the path needs a folder.
    const code = (error as { code?: string }).code;
    const reason = code === "EEXIST" ? FILE_ERRORS.ENOTDIR : fileErrorReason(error);
    throw new FileWriteError(`cannot write ${path}: ${reason}`, { cause: error });
  };
  try {
    const target = writeTarget(path);
    if (target.inPlace) {
      await access(target.path, constants.W_OK);
      return {
        commit: () => writeFile(target.path, data).catch(fail),
        discard: async () => undefined,
      };
    }
    makeDirectory(dirname(target.path));
    // The rename would fail on it, after the command has done what the file records.
    if (statSync(target.path, { throwIfNoEntry: false })?.isDirectory()) {
      throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    }
    temporary = join(dirname(target.path), `.${basename(target.path)}.${process.pid}.tmp`);
    await writeFile(temporary, data);
    return { commit: () => rename(temporary, target.path).catch(fail), discard };
  } catch (error) {
    return fail(error);
  }
}

/**
 * Writes `data` to `path` (creating its folder) through a temporary file beside it and a
 * rename, so a reader never sees half a file and a failed write leaves nothing behind.
 * @throws FileWriteError naming `path` and the reason.
 */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  await (await stageFile(path, data)).commit();
}

/**
 * The worker module `<stem>` beside the module at `callerUrl` (its `import.meta.url`), as a
 * piscina pool is given it: from TypeScript sources (tsx, vitest) `<stem>.ts`, with each thread
 * loading tsx first; compiled, `<stem>.js` (the build puts thread entries beside the bundle).
 */
export function threadModule(
  callerUrl: string,
  stem: string,
): { readonly filename: string; readonly execArgv: string[] } {
  const fromSource = callerUrl.endsWith(".ts");
  const filename = new URL(`./${stem}.${fromSource ? "ts" : "js"}`, callerUrl).href;
  // tsx is a development tool: compiled output neither needs nor ships it.
  if (!fromSource) return { filename, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { filename, execArgv: ["--import", tsx] };
}
