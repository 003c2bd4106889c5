/**
 * The secrets Key Vault hands the pod: the Secrets Store CSI driver mounts each one as a file in
 * `MLOPS_SECRETS_DIR` (`api-key-1`, `canary-token-2`, …, see `EDGE_SECRETS`) and, with rotation
 * on, rewrites a file when its secret gets a new version. The files are read again on an
 * interval, so a rotated key is accepted, and the old one refused, without a restart. Only
 * SHA-256 digests are kept, and a presented value is compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { EdgeSecretKind } from "@mlops/contracts";

/** Longest a secret file may be; anything longer is not a key this platform wrote. */
const MAX_SECRET_BYTES = 4096;

const sha256 = (value: string) => createHash("sha256").update(value).digest();

/** Digests of the values currently mounted, by kind. */
type Digests = Readonly<Record<EdgeSecretKind, readonly Buffer[]>>;

const KINDS: readonly EdgeSecretKind[] = ["api-key", "canary-token"];

/** Reads every `<kind>-*` file of `dir`; dot-entries (the driver's own bookkeeping) are skipped. */
async function readDigests(dir: string): Promise<Digests> {
  const out: Record<EdgeSecretKind, Buffer[]> = { "api-key": [], "canary-token": [] };
  for (const entry of await readdir(dir)) {
    const kind = KINDS.find((k) => entry.startsWith(`${k}-`));
    if (kind === undefined) continue;
    const value = (await readFile(join(dir, entry), "utf8")).trim();
    if (value !== "" && value.length <= MAX_SECRET_BYTES) out[kind].push(sha256(value));
  }
  return out;
}

/** The mounted secrets, kept current. */
export class EdgeSecrets {
  private digests: Digests = { "api-key": [], "canary-token": [] };
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly dir: string | null,
    private readonly onRefreshError: (error: unknown) => void,
  ) {}

  /**
   * Reads `dir` (none when null) and re-reads it every `refreshMs`. The first read must succeed:
   * a pod whose mount is missing fails its start rather than refuse every caller.
   */
  static async open(
    dir: string | null,
    refreshMs: number,
    onRefreshError: (error: unknown) => void,
  ): Promise<EdgeSecrets> {
    const secrets = new EdgeSecrets(dir, onRefreshError);
    if (dir === null) return secrets;
    secrets.digests = await readDigests(dir);
    secrets.timer = setInterval(() => void secrets.refresh(), refreshMs);
    secrets.timer.unref();
    return secrets;
  }

  /** Reads the directory again; on failure keeps what it had and reports why. */
  async refresh(): Promise<void> {
    if (this.dir === null) return;
    try {
      this.digests = await readDigests(this.dir);
    } catch (error) {
      this.onRefreshError(error);
    }
  }

  /** How many secrets of `kind` are mounted now. */
  count(kind: EdgeSecretKind): number {
    return this.digests[kind].length;
  }

  /** True when `value` equals a mounted secret of `kind`, or hashes to one of `extraSha256`. */
  matches(kind: EdgeSecretKind, value: string, extraSha256: readonly Buffer[] = []): boolean {
    const digest = sha256(value);
    // Every candidate is compared, so the time taken does not say which one matched.
    let found = false;
    for (const candidate of [...this.digests[kind], ...extraSha256]) {
      if (timingSafeEqual(candidate, digest)) found = true;
    }
    return found;
  }

  /** Stops re-reading. */
  close(): void {
    clearInterval(this.timer);
  }
}
