/**
 * Pixel-wise principal component analysis over a subject's channels (method.md, constraint maps step 2).
 *
 * X is the n × C matrix of pixels (all slices) by channels, μ its column means. The channel covariance
 *   Σ = (1 / (n − 1)) (X − μ)ᵀ (X − μ)          (C × C, accumulated in float64)
 * is diagonalised exactly with the cyclic Jacobi method (C ≤ ~10, so this is microseconds): Σ = V Λ Vᵀ, eigenvalues
 * sorted in decreasing order. Component k of pixel i is y_ik = (x_i − μ) · v_k — sklearn's PCA.transform. Each
 * eigenvector's sign is fixed so that its largest-magnitude entry is positive (a deterministic choice; k-means on
 * the rescaled components does not depend on it).
 */

/**
 * Eigen-decomposition of a symmetric matrix (row-major, n × n) by cyclic Jacobi rotations (Golub & Van Loan,
 * Matrix Computations, §8.5). Returns eigenvalues in decreasing order and the matching unit eigenvectors as
 * `vectors[k]`.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): { values: number[]; vectors: number[][] } {
  if (matrix.length !== n * n) throw new RangeError(`symmetricEigen: ${matrix.length} values for a ${n} × ${n} matrix`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // A ← Jᵀ A J, applied as column then row rotations
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = order.map((i) => a[i * n + i]);
  const vectors = order.map((col) => {
    const vec = Array.from({ length: n }, (_, k) => v[k * n + col]);
    let big = 0;
    for (const x of vec) if (Math.abs(x) > Math.abs(big)) big = x;
    return big < 0 ? vec.map((x) => -x) : vec;
  });
  return { values, vectors };
}

export interface PcaResult {
  /** Components, component-major: comp k of pixel i at k * pixels + i. */
  components: Float32Array;
  count: number;
  mean: number[];
  eigenvalues: number[];
  /** Principal axes, `axes[k]` of length C. */
  axes: number[][];
  /** λ_k / Σ λ for the kept components. */
  explainedVarianceRatio: number[];
}

/**
 * PCA of `channels` contiguous runs of `pixels` values (channel-major, the layout of src/data/volume.ts), keeping
 * min(`keep`, channels) components.
 */
export function pixelPca(data: Float32Array, channels: number, pixels: number, keep: number): PcaResult {
  if (data.length !== channels * pixels) throw new RangeError(`pixelPca: ${data.length} values, expected ${channels} × ${pixels}`);
  if (pixels < 2) throw new RangeError(`pixelPca: need at least 2 pixels, got ${pixels}`);
  const C = channels;
  const mean = new Array<number>(C).fill(0);
  for (let c = 0; c < C; c++) {
    let s = 0;
    const off = c * pixels;
    for (let i = 0; i < pixels; i++) s += data[off + i];
    mean[c] = s / pixels;
  }
  const cov = new Float64Array(C * C);
  const centred = new Float64Array(C);
  // Pixel-by-pixel accumulation of the upper triangle; channel rows are strided by `pixels`.
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < C; c++) centred[c] = data[c * pixels + i] - mean[c];
    for (let r = 0; r < C; r++) {
      const x = centred[r];
      for (let c = r; c < C; c++) cov[r * C + c] += x * centred[c];
    }
  }
  for (let r = 0; r < C; r++) {
    for (let c = r; c < C; c++) {
      cov[r * C + c] /= pixels - 1;
      cov[c * C + r] = cov[r * C + c];
    }
  }
  const { values, vectors } = symmetricEigen(cov, C);
  const count = Math.min(keep, C);
  const total = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const components = new Float32Array(count * pixels);
  for (let k = 0; k < count; k++) {
    const axis = vectors[k];
    const out = components.subarray(k * pixels, (k + 1) * pixels);
    let bias = 0;
    for (let c = 0; c < C; c++) bias -= axis[c] * mean[c];
    out.fill(bias);
    for (let c = 0; c < C; c++) {
      const w = axis[c];
      const off = c * pixels;
      for (let i = 0; i < pixels; i++) out[i] += w * data[off + i];
    }
  }
  return {
    components,
    count,
    mean,
    eigenvalues: values.slice(0, count),
    axes: vectors.slice(0, count),
    explainedVarianceRatio: values.slice(0, count).map((x) => (total > 0 ? Math.max(x, 0) / total : 0)),
  };
}

/** Min-max rescale each of `count` contiguous runs of `length` values to [0, 1] in place (a constant run → 0). */
export function rescaleRuns(values: Float32Array, count: number, length: number): void {
  for (let k = 0; k < count; k++) {
    const run = values.subarray(k * length, (k + 1) * length);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < length; i++) {
      if (run[i] < lo) lo = run[i];
      if (run[i] > hi) hi = run[i];
    }
    const range = hi - lo;
    if (!(range > 0)) {
      run.fill(0);
      continue;
    }
    const inv = 1 / range;
    for (let i = 0; i < length; i++) run[i] = (run[i] - lo) * inv;
  }
}
