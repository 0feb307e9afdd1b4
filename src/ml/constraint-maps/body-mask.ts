/**
 * Label-free body mask: where the CLC loss may draw its anchors (method.md, CLC step 2; the reference code draws
 * them from a precomputed sampling mask, utils/constrained_contrastive_loss.py lines 104–110). "Above the image
 * minimum" is no body mask: Rician noise puts every air pixel above it (issue 13 measured 100% "foreground").
 *
 * Per subject, from its normalised series (every channel already clipped and rescaled to [0, 1]):
 * 1. signal = the maximum over channels per pixel, so tissue dark in one channel (b = 800 DWI, a T1 null point)
 *    still counts when another channel shows it;
 * 2. threshold at `threshold` (default 0.1 of the normalised range). Measured on phantom gen 1 at 64², 2 subjects
 *    × 5 contrasts (bench/clc-pilot.ts notes): the body fraction is flat at ~0.75 for thresholds 0.08–0.15 where air
 *    is visible (DIXON, BOLD, T2) and 0.71–0.81 at 0.1 for every contrast, with every kidney voxel inside; below
 *    0.05 the noise of the air joins the body (0.84–1.00), above 0.15 dark tissue of DWI falls out (0.48).
 *    Tried and dropped: Otsu's threshold (it split bright from dark tissue on DWI: 12% of a slice kept) and an air
 *    noise estimate from the image frame (coronal slices cut the body at the top and bottom: the frame is body);
 * 3. per slice, morphological clean-up: binary opening with a (2r+1)² square (removes noise specks and thin
 *    bridges), keep the 4-connected components of at least `minComponentFraction` of the largest one (drops
 *    residual speckle, keeps a body split in two), fill the holes (background not connected to the slice border:
 *    dark organs, the renal pelvis, signal voids inside the body are body).
 * No label is read. Output: Uint8Array [slices][height][width], 1 = body.
 */

export interface BodyMaskOptions {
  /** Threshold on the channel-max normalised signal; default 0.1. */
  threshold?: number;
  /** Opening radius r in pixels (square structuring element 2r + 1); default 1. */
  openingRadius?: number;
  /** Components smaller than this fraction of the slice's largest are dropped; default 0.25. */
  minComponentFraction?: number;
}

/** `data` in the volume layout of src/data/volume.ts: ((channel · slices + slice) · height + y) · width + x. */
export function bodyMask(
  data: Float32Array,
  width: number,
  height: number,
  slices: number,
  channels: number,
  options: BodyMaskOptions = {},
): { mask: Uint8Array; threshold: number } {
  const plane = width * height;
  const pixels = plane * slices;
  if (data.length !== pixels * channels) {
    throw new RangeError(`bodyMask: ${data.length} values, expected channels × slices × height × width = ${channels} × ${slices} × ${height} × ${width}`);
  }
  const signal = new Float32Array(pixels);
  for (let c = 0; c < channels; c++) {
    const off = c * pixels;
    for (let i = 0; i < pixels; i++) if (data[off + i] > signal[i]) signal[i] = data[off + i];
  }
  const threshold = options.threshold ?? 0.1;
  const mask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) mask[i] = signal[i] > threshold ? 1 : 0;
  const r = options.openingRadius ?? 1;
  const minFraction = options.minComponentFraction ?? 0.25;
  for (let s = 0; s < slices; s++) {
    const slice = mask.subarray(s * plane, (s + 1) * plane);
    if (r > 0) slice.set(dilate(erode(slice, width, height, r), width, height, r));
    keepLargeComponents(slice, width, height, minFraction);
    fillHoles(slice, width, height);
  }
  return { mask, threshold };
}

/**
 * Anchor candidates per patch: 1 where at least half of a p × p patch's pixels are body. `mask` holds whole slices
 * [slices][height][width]; the result is [slices][height/p][width/p] (the patch grid of `clcLoss`).
 */
export function patchBodyMask(mask: Uint8Array, width: number, height: number, patchSize: number): Uint8Array {
  const p = patchSize;
  if (width % p !== 0 || height % p !== 0) throw new RangeError(`patchBodyMask: a ${width} × ${height} mask is not divisible into ${p} × ${p} patches`);
  const plane = width * height;
  const slices = mask.length / plane;
  const wp = width / p;
  const hp = height / p;
  const out = new Uint8Array(slices * hp * wp);
  for (let s = 0; s < slices; s++)
    for (let py = 0; py < hp; py++)
      for (let px = 0; px < wp; px++) {
        let n = 0;
        for (let dy = 0; dy < p; dy++) for (let dx = 0; dx < p; dx++) n += mask[s * plane + (py * p + dy) * width + px * p + dx];
        out[(s * hp + py) * wp + px] = 2 * n >= p * p ? 1 : 0;
      }
  return out;
}

function erode(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morph(m, w, h, r, 1);
}

function dilate(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morph(m, w, h, r, 0);
}

/** Separable square min (erode: a pixel stays 1 when no 0 lies within r) or max (dilate); outside counts as 0. */
function morph(m: Uint8Array, w: number, h: number, r: number, erodeMode: 0 | 1): Uint8Array {
  const pass = (src: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let v = erodeMode;
        for (let d = -r; d <= r; d++) {
          const xx = horizontal ? x + d : x;
          const yy = horizontal ? y : y + d;
          const inside = xx >= 0 && xx < w && yy >= 0 && yy < h;
          const s = inside ? src[yy * w + xx] : 0;
          if (erodeMode ? s === 0 : s === 1) {
            v = erodeMode ? 0 : 1;
            break;
          }
        }
        out[y * w + x] = v;
      }
    return out;
  };
  return pass(pass(m, true), false);
}

/** 4-connected component labels (0 = background) and their sizes. */
function components(m: Uint8Array, w: number, h: number, value: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(m.length);
  const sizes = [0];
  const stack: number[] = [];
  for (let start = 0; start < m.length; start++) {
    if (m[start] !== value || labels[start]) continue;
    const id = sizes.length;
    sizes.push(0);
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      sizes[id]++;
      const x = i % w;
      const y = (i - x) / w;
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
        if (j >= 0 && m[j] === value && !labels[j]) {
          labels[j] = id;
          stack.push(j);
        }
      }
    }
  }
  return { labels, sizes };
}

function keepLargeComponents(m: Uint8Array, w: number, h: number, minFraction: number): void {
  const { labels, sizes } = components(m, w, h, 1);
  const largest = Math.max(0, ...sizes);
  for (let i = 0; i < m.length; i++) if (m[i] && sizes[labels[i]] < minFraction * largest) m[i] = 0;
}

function fillHoles(m: Uint8Array, w: number, h: number): void {
  const { labels } = components(m, w, h, 0);
  const outside = new Set<number>();
  for (let x = 0; x < w; x++) outside.add(labels[x]).add(labels[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) outside.add(labels[y * w]).add(labels[y * w + w - 1]);
  for (let i = 0; i < m.length; i++) if (!m[i] && !outside.has(labels[i])) m[i] = 1;
}
