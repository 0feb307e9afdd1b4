/**
 * Total-variation (ROF) denoising of a 2D image by Chambolle's dual projection algorithm — A. Chambolle, "An
 * algorithm for total variation minimization and applications", J. Math. Imaging Vis. 20, 2004; the same iteration
 * as scikit-image's `denoise_tv_chambolle` (which the renal reference code calls), with a fixed iteration count.
 *
 * Solves  min_u ½‖u − f‖² + λ · TV(u)  (isotropic TV, λ = `weight`, f in the units of the image — the components
 * here are in [0, 1]). With a dual field p = (p_x, p_y), zero at start, and step τ = 1/4, each iteration computes
 *   u = f + d,  d = p_x[y, x−1] − p_x[y, x] + p_y[y−1, x] − p_y[y, x]        (d = −div p, p outside the image = 0)
 *   g = ∇u (forward differences, 0 on the last row/column),
 *   p ← (p − τ g) / (1 + (τ/λ) |g|)
 * and returns u from the final p. Larger λ smooths more; λ → 0 returns f.
 */
export function tvDenoise2d(image: Float32Array, width: number, height: number, weight: number, iterations: number, out?: Float32Array): Float32Array {
  const n = width * height;
  if (image.length !== n) throw new RangeError(`tvDenoise2d: ${image.length} values for a ${width} × ${height} image`);
  if (!(weight > 0)) throw new RangeError(`tvDenoise2d: weight must be > 0, got ${weight}`);
  // Work in float64 (no float32 round-trips in the hot loops); copy into `out` at the end.
  const u = new Float64Array(n);
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const tau = 0.25;
  const k = tau / weight;
  const w = width;
  // u = f + d with d = p_x[y, x−1] − p_x[y, x] + p_y[y−1, x] − p_y[y, x]; boundary terms split out of the loops.
  const updateU = () => {
    u[0] = image[0] - px[0] - py[0];
    for (let x = 1; x < w; x++) u[x] = image[x] + px[x - 1] - px[x] - py[x];
    for (let y = 1; y < height; y++) {
      const row = y * w;
      u[row] = image[row] - px[row] + py[row - w] - py[row];
      for (let i = row + 1, end = row + w; i < end; i++) u[i] = image[i] + px[i - 1] - px[i] + py[i - w] - py[i];
    }
  };
  // p ← (p − τ∇u) / (1 + (τ/λ)|∇u|) with forward differences, ∇u = 0 across the last row/column.
  const updateP = () => {
    for (let y = 0; y < height - 1; y++) {
      const row = y * w;
      for (let i = row, end = row + w - 1; i < end; i++) {
        const gx = u[i + 1] - u[i];
        const gy = u[i + w] - u[i];
        const inv = 1 / (1 + k * Math.sqrt(gx * gx + gy * gy));
        px[i] = (px[i] - tau * gx) * inv;
        py[i] = (py[i] - tau * gy) * inv;
      }
      const i = row + w - 1; // last column: gx = 0
      const gy = u[i + w] - u[i];
      const inv = 1 / (1 + k * Math.abs(gy));
      px[i] = px[i] * inv;
      py[i] = (py[i] - tau * gy) * inv;
    }
    const last = (height - 1) * w; // last row: gy = 0
    for (let i = last, end = last + w - 1; i < end; i++) {
      const gx = u[i + 1] - u[i];
      const inv = 1 / (1 + k * Math.abs(gx));
      px[i] = (px[i] - tau * gx) * inv;
      py[i] = py[i] * inv;
    }
    // bottom-right corner: ∇u = 0, p unchanged
  };
  for (let it = 0; it < iterations; it++) {
    updateU();
    updateP();
  }
  updateU();
  const result = out ?? new Float32Array(n);
  result.set(u);
  return result;
}
