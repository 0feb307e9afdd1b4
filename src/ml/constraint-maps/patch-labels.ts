/**
 * Patch labels for the CLC loss (method.md, pretraining step 2): the constraint map cut into non-overlapping
 * p × p patches, each labelled with its majority cluster (−1 where too few pixels vote). Where anchors may be drawn
 * is the body mask's business (./body-mask.ts), not the labels'.
 */

/**
 * Majority cluster per non-overlapping `patchSize` × `patchSize` patch of one or more slices.
 *
 * - `map`: Int32Array of cluster ids, layout (slice · height + y) · width + x; −1 = no cluster (e.g. outside a
 *   label mask). Its length fixes the number of slices.
 * - `foreground` (optional, same layout): non-zero where the pixel may vote.
 * A pixel votes when its cluster is ≥ 0 and (without `foreground`) always, (with it) when it is foreground. A patch
 * is background (−1) when fewer than half of its p² pixels vote; otherwise its label is the most frequent cluster
 * among the voters (ties → the smallest cluster id).
 * Returns Int32Array [slices][height/p][width/p] (row-major patch grid, the layout `clcLoss` expects).
 */
export function patchMajorityLabels(map: Int32Array, width: number, height: number, patchSize: number, foreground?: ArrayLike<number | boolean>): Int32Array {
  const p = patchSize;
  if (!(Number.isInteger(p) && p > 0)) throw new RangeError(`patchMajorityLabels: patchSize must be a positive integer, got ${p}`);
  if (width % p !== 0 || height % p !== 0) {
    throw new RangeError(`patchMajorityLabels: a ${width} × ${height} map is not divisible into ${p} × ${p} patches`);
  }
  const plane = width * height;
  const slices = map.length / plane;
  if (!Number.isInteger(slices) || slices < 1) {
    throw new RangeError(`patchMajorityLabels: map has ${map.length} values, not a whole number of ${width} × ${height} slices`);
  }
  if (foreground && foreground.length !== map.length) {
    throw new RangeError(`patchMajorityLabels: foreground has ${foreground.length} values, map ${map.length}`);
  }
  let maxLabel = -1;
  for (let i = 0; i < map.length; i++) if (map[i] > maxLabel) maxLabel = map[i];
  const counts = new Int32Array(maxLabel + 1);
  const wp = width / p;
  const hp = height / p;
  const out = new Int32Array(slices * hp * wp).fill(-1);
  const needed = (p * p) / 2;
  for (let s = 0; s < slices; s++) {
    for (let py = 0; py < hp; py++) {
      for (let px = 0; px < wp; px++) {
        counts.fill(0);
        let voters = 0;
        for (let dy = 0; dy < p; dy++) {
          const row = s * plane + (py * p + dy) * width + px * p;
          for (let dx = 0; dx < p; dx++) {
            const i = row + dx;
            const l = map[i];
            if (l < 0 || (foreground && !foreground[i])) continue;
            counts[l]++;
            voters++;
          }
        }
        if (voters < needed) continue;
        let best = -1;
        let bestCount = 0;
        for (let l = 0; l <= maxLabel; l++) {
          if (counts[l] > bestCount) {
            bestCount = counts[l];
            best = l;
          }
        }
        out[(s * hp + py) * wp + px] = best;
      }
    }
  }
  return out;
}
