import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** The checked-out commit (lineage of a run), or null outside a git work tree. */
export async function headCommit(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)("git", ["rev-parse", "HEAD"]);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}
