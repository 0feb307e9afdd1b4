/**
 * Intensity normalisation of method.md ("Data"): per subject and per channel, clip at the 0.01st and 99.9th
 * percentiles, then min-max to [0, 1]. Stored series stay raw (scanner-like units); consumers normalise on load.
 */
import type { Volume } from './volume';

export const NORMALIZE_LOW_PERCENTILE = 0.01;
export const NORMALIZE_HIGH_PERCENTILE = 99.9;

/** Percentile (0–100) of values by linear interpolation between order statistics. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Returns a new volume whose every channel is clipped at its 0.01/99.9 percentiles and scaled to [0, 1]. */
export function normalizeChannels<V extends Volume>(volume: V): V {
  const { width, height, slices, channels } = volume;
  const n = width * height * slices;
  if (volume.data.length !== n * channels) {
    throw new RangeError(`normalizeChannels: data has ${volume.data.length} values, expected ${width}×${height}×${slices}×${channels}`);
  }
  const out = new Float32Array(volume.data.length);
  for (let c = 0; c < channels; c++) {
    const src = volume.data.subarray(c * n, (c + 1) * n);
    const sorted = Float32Array.from(src).sort();
    const lo = percentile(sorted, NORMALIZE_LOW_PERCENTILE);
    const hi = percentile(sorted, NORMALIZE_HIGH_PERCENTILE);
    const range = hi - lo;
    const dst = out.subarray(c * n, (c + 1) * n);
    for (let i = 0; i < n; i++) {
      const v = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
      dst[i] = range > 0 ? (v - lo) / range : 0;
    }
  }
  return { ...volume, data: out };
}
