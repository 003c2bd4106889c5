/**
 * Small dense linear algebra on row-major k x k Float64Arrays (k is the number of model
 * parameters, so O(k^3) is nothing next to one pass over the data).
 */

/**
 * Cholesky factor L (lower, row-major) of a symmetric positive definite matrix, or null when
 * the matrix is not numerically positive definite.
 */
export function cholesky(a: Float64Array, k: number): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j]!;
      for (let r = 0; r < j; r++) s -= l[i * k + r]! * l[j * k + r]!;
      if (i === j) {
        // Relative pivot test: a pivot lost to rounding means "not positive definite".
        if (!(s > 1e-14 * Math.abs(a[i * k + i]!)) || !Number.isFinite(s)) return null;
        l[i * k + i] = Math.sqrt(s);
      } else l[i * k + j] = s / l[j * k + j]!;
    }
  }
  return l;
}

/** Solves L L' x = b given the Cholesky factor L. */
export function choleskySolve(l: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let r = 0; r < i; r++) s -= l[i * k + r]! * y[r]!;
    y[i] = s / l[i * k + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let r = i + 1; r < k; r++) s -= l[r * k + i]! * y[r]!;
    y[i] = s / l[i * k + i]!;
  }
  return y;
}

/**
 * Inverse of a symmetric positive definite matrix, or null when it is not positive definite.
 * The matrix is equilibrated (scaled to a unit diagonal) first, so parameters on very
 * different scales do not trip the pivot test.
 */
export function inverseSpd(a: Float64Array, k: number): Float64Array | null {
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = a[i * k + i]!;
    if (!(v > 0) || !Number.isFinite(v)) return null;
    d[i] = 1 / Math.sqrt(v);
  }
  const s = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) s[i * k + j] = a[i * k + j]! * d[i]! * d[j]!;
  const l = cholesky(s, k);
  if (!l) return null;
  const inv = new Float64Array(k * k);
  const e = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, k, e);
    for (let i = 0; i < k; i++) inv[i * k + j] = col[i]! * d[i]! * d[j]!;
  }
  return inv;
}

/** A B for k x k matrices. */
export function matMul(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const c = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let r = 0; r < k; r++) {
      const v = a[i * k + r]!;
      if (v === 0) continue;
      for (let j = 0; j < k; j++) c[i * k + j] += v * b[r * k + j]!;
    }
  }
  return c;
}
