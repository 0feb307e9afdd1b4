/**
 * In-plane resampling of series to the square size a network trains at (method.md presets: 256², 128², 64²).
 *
 * Images use area averaging when shrinking by an integer factor (no aliasing of the noise) and bilinear
 * interpolation otherwise; label maps use nearest neighbour so labels stay labels. Slices and channels are kept.
 * Layout as in volume.ts: index = ((channel * slices + slice) * height + y) * width + x.
 */
import type { Volume } from './volume';

export function resampleVolume(v: Volume, size: number): Volume {
  if (v.width === size && v.height === size) return v;
  const planes = v.slices * v.channels;
  const out = new Float32Array(size * size * planes);
  const fx = v.width / size;
  const fy = v.height / size;
  const integerShrink = Number.isInteger(fx) && Number.isInteger(fy) && fx >= 1 && fy >= 1;
  for (let p = 0; p < planes; p++) {
    const src = v.data.subarray(p * v.width * v.height, (p + 1) * v.width * v.height);
    const dst = out.subarray(p * size * size, (p + 1) * size * size);
    if (integerShrink) areaShrink(src, v.width, fx, fy, dst, size);
    else bilinear(src, v.width, v.height, dst, size);
  }
  return { width: size, height: size, slices: v.slices, channels: v.channels, data: out };
}

/** Nearest-neighbour resampling of a label map [slices][height][width] to size × size (pixel centres aligned). */
export function resampleLabels<T extends Uint8Array | Int32Array>(labels: T, width: number, height: number, slices: number, size: number): T {
  return resampleLabelsTo(labels, width, height, slices, size, size);
}

/**
 * Nearest-neighbour resampling of a label map [slices][h][w] to [slices][outH][outW] (pixel centres aligned, as
 * resampleLabels), for predictions made at the training size and scored at the series' own, possibly non-square, size.
 */
export function resampleLabelsTo<T extends Uint8Array | Int32Array>(labels: T, w: number, h: number, slices: number, outW: number, outH: number): T {
  if (w === outW && h === outH) return labels;
  const out = new (labels.constructor as { new (n: number): T })(outW * outH * slices);
  for (let s = 0; s < slices; s++) {
    for (let y = 0; y < outH; y++) {
      const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / outH));
      for (let x = 0; x < outW; x++) {
        const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / outW));
        out[(s * outH + y) * outW + x] = labels[(s * h + sy) * w + sx];
      }
    }
  }
  return out;
}

function areaShrink(src: Float32Array, width: number, fx: number, fy: number, dst: Float32Array, size: number): void {
  const norm = 1 / (fx * fy);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let dy = 0; dy < fy; dy++) {
        const row = (y * fy + dy) * width + x * fx;
        for (let dx = 0; dx < fx; dx++) sum += src[row + dx];
      }
      dst[y * size + x] = sum * norm;
    }
  }
}

function bilinear(src: Float32Array, width: number, height: number, dst: Float32Array, size: number): void {
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.max(0, ((y + 0.5) * height) / size - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(width - 1, Math.max(0, ((x + 0.5) * width) / size - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = sx - x0;
      const top = src[y0 * width + x0] * (1 - wx) + src[y0 * width + x1] * wx;
      const bottom = src[y1 * width + x0] * (1 - wx) + src[y1 * width + x1] * wx;
      dst[y * size + x] = top * (1 - wy) + bottom * wy;
    }
  }
}
