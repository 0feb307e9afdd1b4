/**
 * Slice images for people (dashboard, figure of mask overlays): one (slice, channel) of a volume as an 8-bit
 * greyscale PNG windowed to the 1st–99th percentile of that slice, with an optional semi-transparent overlay:
 * kidney labels (right kidney red-orange, left kidney blue) or constraint-map clusters (categorical palette).
 */
import { PNG } from 'pngjs';
import type { Volume } from './volume';
import { LABEL_LEFT_KIDNEY, LABEL_RIGHT_KIDNEY } from './volume';

export type OverlayKind = 'mask' | 'constraints';

export interface RenderOptions {
  slice: number;
  channel: number;
  /**
   * Labels 0/1/2 (mask or prediction, Uint8Array) or cluster ids (Int32Array, < 0 = none), either for the whole
   * volume (slices × height × width) or for this slice only (height × width).
   */
  overlay?: Uint8Array | Int32Array;
  overlayKind?: OverlayKind;
  /** Overlay opacity 0–1, default 0.45. */
  alpha?: number;
}

/** Overlay colours of the mask labels (RGB). */
export const LABEL_COLORS: Record<number, [number, number, number]> = {
  [LABEL_RIGHT_KIDNEY]: [255, 80, 40],
  [LABEL_LEFT_KIDNEY]: [40, 150, 255],
};

/** Categorical palette for constraint clusters (Tableau 20); cluster k uses entry k mod 20. */
export const CLUSTER_PALETTE: Array<[number, number, number]> = [
  [31, 119, 180], [174, 199, 232], [255, 127, 14], [255, 187, 120], [44, 160, 44], [152, 223, 138], [214, 39, 40],
  [255, 152, 150], [148, 103, 189], [197, 176, 213], [140, 86, 75], [196, 156, 148], [227, 119, 194], [247, 182, 210],
  [127, 127, 127], [199, 199, 199], [188, 189, 34], [219, 219, 141], [23, 190, 207], [158, 218, 229],
];

/** Value at quantile q (0–1) of a sorted array, linear interpolation. */
function quantileSorted(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function renderSlicePng(volume: Volume, options: RenderOptions): Buffer {
  const { width, height, slices, channels } = volume;
  const { slice, channel } = options;
  if (!Number.isInteger(slice) || slice < 0 || slice >= slices) throw new RangeError(`slice ${slice} outside 0..${slices - 1}`);
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) throw new RangeError(`channel ${channel} outside 0..${channels - 1}`);
  const n = width * height;
  const off = (channel * slices + slice) * n;
  const img = volume.data.subarray(off, off + n);
  const sorted = Float32Array.from(img).sort();
  const lo = quantileSorted(sorted, 0.01);
  const hi = quantileSorted(sorted, 0.99);
  const scale = hi > lo ? 255 / (hi - lo) : 0;

  let overlay: Uint8Array | Int32Array | null = null;
  if (options.overlay) {
    const o = options.overlay;
    if (o.length === n * slices) overlay = o.subarray(slice * n, (slice + 1) * n);
    else if (o.length === n) overlay = o;
    else throw new RangeError(`overlay has ${o.length} values; expected ${n} (one slice) or ${n * slices} (volume)`);
  }
  const kind: OverlayKind = options.overlayKind ?? (overlay instanceof Int32Array ? 'constraints' : 'mask');
  const alpha = options.alpha ?? 0.45;

  const png = new PNG({ width, height });
  for (let i = 0; i < n; i++) {
    const g = Math.max(0, Math.min(255, (img[i] - lo) * scale));
    let r = g;
    let gg = g;
    let b = g;
    if (overlay) {
      const v = overlay[i];
      const color = kind === 'mask' ? LABEL_COLORS[v] : v >= 0 ? CLUSTER_PALETTE[v % CLUSTER_PALETTE.length] : undefined;
      if (color) {
        r = (1 - alpha) * g + alpha * color[0];
        gg = (1 - alpha) * g + alpha * color[1];
        b = (1 - alpha) * g + alpha * color[2];
      }
    }
    const p = i * 4;
    png.data[p] = Math.round(r);
    png.data[p + 1] = Math.round(gg);
    png.data[p + 2] = Math.round(b);
    png.data[p + 3] = 255;
  }
  return PNG.sync.write(png);
}
