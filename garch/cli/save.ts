/**
 * Writing `--save FILE`. A regular file, or a path that does not exist yet, is written through a
 * temporary file beside it and a rename, so a failed run never leaves half a file, nor the
 * temporary one. A symbolic link is followed: its target is written so, in the target's folder,
 * and the link stays. Anything else that exists (a device such as /dev/stdout, a FIFO, a socket)
 * cannot be renamed over without destroying it (as root, `--save /dev/null` would replace the
 * device with a file), so it is opened and written in place, as a shell's `>` does. (The
 * workspace's CLIs share a writer in @mlops/contracts/files; the GARCH package depends on
 * nothing of ours.)
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Symbolic links followed at most from the path to the file (Linux's own limit, ELOOP). */
const MAX_LINKS = 40;

/** An error with a system code, as node:fs throws. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/**
 * `path` with its last component's symbolic links followed (a link to a link included), as an
 * absolute path; the path itself where it is no link or does not exist. A dangling link gives
 * its missing target, which a write then creates (as `>` does).
 */
export function linkTarget(path: string): string {
  let at = resolve(path);
  for (let links = 0; ; links++) {
    let stat: Stats;
    try {
      stat = lstatSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return at;
      throw error;
    }
    if (!stat.isSymbolicLink()) return at;
    if (links === MAX_LINKS) throw systemError("ELOOP");
    at = resolve(dirname(at), readlinkSync(at));
  }
}

/**
 * `mkdir -p dir`, one folder at a time from the first that exists: Node's recursive mkdir spins
 * forever where mkdir answers ENOENT under an existing folder (any path under /proc). The
 * workspace's twin is `makeDirectory` in @mlops/contracts/files.
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at) && dirname(at) !== at; at = dirname(at)) {
    missing.unshift(at);
  }
  for (const folder of missing) {
    if (!existsSync(folder)) mkdirSync(folder);
  }
}

/**
 * Writes `text` to `path` as the module comment says. Throws node:fs's error (its `code` names
 * the reason: EISDIR for a folder, ENOTDIR, EACCES…); nothing is left behind then.
 */
export function saveText(path: string, text: string): void {
  const target = linkTarget(path);
  let stat: Stats | undefined;
  try {
    stat = statSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (stat?.isDirectory()) throw systemError("EISDIR");
  if (stat !== undefined && !stat.isFile()) {
    writeFileSync(target, text);
    return;
  }
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    makeFolders(dirname(target));
    writeFileSync(temporary, text);
    renameSync(temporary, target);
  } catch (error) {
    // Where the folder itself is unusable no temporary file was made, and removing it fails too.
    if (existsSync(temporary)) rmSync(temporary);
    throw error;
  }
}
