/** IPv4 CIDR arithmetic, enough to check that configured address ranges fit together. */

interface Range {
  /** First address as an unsigned 32-bit integer. */
  start: number;
  /** Last address as an unsigned 32-bit integer. */
  end: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function parse(cidr: string): Range | undefined {
  const m = CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  // Azure rejects ranges whose address has host bits set; so do we.
  if (address % size !== 0) return undefined;
  return { start: address, end: address + size - 1 };
}

function range(cidr: string): Range {
  const r = parse(cidr);
  if (!r) throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  return r;
}

/** True for a well-formed IPv4 CIDR whose address is the first of its range. */
export function isCidr(value: string): boolean {
  return parse(value) !== undefined;
}

/** True when every address of `inner` lies inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = range(outer);
  const i = range(inner);
  return o.start <= i.start && i.end <= o.end;
}

/** True when the two ranges share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.start <= y.end && y.start <= x.end;
}

/** The first `count` addresses of `cidr`, dotted. */
export function cidrFirstAddresses(cidr: string, count: number): string[] {
  const { start, end } = range(cidr);
  const out: string[] = [];
  for (let a = start; a <= end && out.length < count; a++) {
    out.push([24, 16, 8, 0].map((shift) => Math.floor(a / 2 ** shift) % 256).join("."));
  }
  return out;
}

/** How many addresses `cidr` spans. */
export function cidrSize(cidr: string): number {
  const { start, end } = range(cidr);
  return end - start + 1;
}
