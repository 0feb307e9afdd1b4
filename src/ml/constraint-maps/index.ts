/**
 * Constraint maps (method.md, "Constraint maps"; Umapathy et al., Med Phys 2023 — reference code
 * lunastra26/multi-contrast-contrastive-learning, Datagen/generate_constraint_maps.py, read, not copied).
 *
 * Per subject and contrast, label-free by default:
 * 1. every channel is clipped at its `clipLowPercentile` / `clipHighPercentile` percentiles (0.01 / 99.9) and
 *    min-max rescaled to [0, 1] (`clipAndRescaleChannels`);
 * 2. pixel-wise PCA over the channels with all slices' pixels as samples, keeping `components` (4) components, or
 *    all channels when there are fewer (`pixelPca`); each component is rescaled to [0, 1] over the subject
 *    (`componentScaling: 'each'`, method.md), or all of them with one min/max (`'joint'`, the reference code);
 * 3. if `denoise`, each component is TV-denoised slice by slice (`tvDenoise2d`, weight `tvWeight`, `tvIterations`);
 * 4. k-means with K = `clusters` (20), greedy k-means++ seeding from `seed`, at most `kmeansIterations` Lloyd
 *    iterations (`kmeans`), on the pixels' component vectors → a cluster id per pixel.
 * Option `kidneyBox` (OFF by default) is the renal code's as-published arm (lab-midas/Renal-fMRI-Framework @1819882,
 * data/generate_ccl_maps.py: `_generate_parametric_clusters` multiplies every denoised PCA component by a weight
 * map, `_create_weight_map(mask, margin=5)` / `_create_bounding_box_mask` build it slice by slice as the bounding box
 * of the slice's mask plus a 5-px margin, zero on slices without mask). PER_SLICE does the same: after denoising,
 * each component is multiplied by the slice's kidney box (labels > 0, plus `kidneyBoxMargin` px, clipped to the
 * slice), and k-means runs on every pixel, so everything outside the boxes shares the cluster of the zero vector.
 * It feeds manual labels into label-free pretraining (label leakage): runs say so in their config and reports.
 * Two things of that code are deliberately not copied: (1) it normalises the cluster map to [0, 1] per slice
 * before saving (`_process_single_subject`), which in an integer array keeps only the largest cluster id — the
 * maps here stay integer cluster ids; (2) as we read it, its mask maps background to class 5 before the box is
 * taken (`_load_and_combine_masks`), so `np.nonzero` covers the whole slice and its box is the full image; the box
 * here is the kidneys' (labels > 0), which is what the code's comments describe.
 *
 * Input layout (src/data/volume.ts): data[((channel · slices + slice) · height + y) · width + x].
 * Output: `maps`, Int32Array [slices][height][width] of cluster ids in [0, clusters), and
 * `params`, everything needed to reproduce or inspect the maps.
 */
import { PRESETS, type ConstraintConfig } from '../presets';
import { kmeans } from './kmeans';
import { clipAndRescaleChannels, type ChannelClip } from './normalize';
import { pixelPca, rescaleRuns } from './pca';
import { tvDenoise2d } from './tv';

export { patchMajorityLabels } from './patch-labels';
export { bodyMask, patchBodyMask, type BodyMaskOptions } from './body-mask';
export { kmeans, type KMeansResult, type KMeansOptions } from './kmeans';
export { pixelPca, symmetricEigen, rescaleRuns, type PcaResult } from './pca';
export { clipAndRescaleChannels, percentileInPlace, type ChannelClip } from './normalize';
export { tvDenoise2d } from './tv';

/** A subject's multi-channel series, in the layout of src/data/volume.ts (structurally a `Volume`). */
export interface MultiChannelImage {
  width: number;
  height: number;
  slices: number;
  channels: number;
  data: Float32Array;
}

/**
 * How the PCA components are brought to [0, 1]: `each` — every component min-max rescaled on its own (method.md,
 * the default); `joint` — one min and max over all kept components (the reference code's `normalize_img` on the
 * stacked components), which keeps the components' relative variances, so low-variance (noise-dominated)
 * components weigh less in k-means.
 */
export type ComponentScaling = 'each' | 'joint';

export type ConstraintMapOptions = Partial<ConstraintConfig> & {
  /** Seed of the k-means++ seeding; default 0. */
  seed?: number;
  /** Component rescaling before denoising and k-means; default `each` (method.md). */
  componentScaling?: ComponentScaling;
  /** Label volume (slice · height + y) · width + x, 0 = background; required only with `kidneyBox` PER_SLICE. */
  labels?: ArrayLike<number> | null;
};

export interface ConstraintMapParams extends ConstraintConfig {
  seed: number;
  componentScaling: ComponentScaling;
  /** Components actually kept: min(components, channels). */
  componentsUsed: number;
  eigenvalues: number[];
  explainedVarianceRatio: number[];
  channelClips: ChannelClip[];
  kmeans: { iterations: number; converged: boolean; inertia: number; points: number };
  /** PER_SLICE: each slice's kidney box with its margin (inclusive bounds; null = no kidney on that slice), else null. */
  kidneyBoxes: (KidneyBox | null)[] | null;
}

export interface KidneyBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export interface ConstraintMaps {
  width: number;
  height: number;
  slices: number;
  maps: Int32Array;
  params: ConstraintMapParams;
  /** Wall time per stage, for benchmarks (not part of the reproducible params). */
  timingsMs: { normalize: number; pca: number; denoise: number; kmeans: number; total: number };
}

export function buildConstraintMaps(image: MultiChannelImage, options: ConstraintMapOptions = {}): ConstraintMaps {
  const { width, height, slices, channels, data } = image;
  const { seed = 0, labels = null, componentScaling = 'each', ...overrides } = options;
  const config: ConstraintConfig = { ...PRESETS.PAPER.constraints, ...overrides };
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['slices', slices],
    ['channels', channels],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`buildConstraintMaps: ${name} must be a positive integer, got ${v}`);
  }
  const plane = width * height;
  const pixels = plane * slices;
  if (data.length !== pixels * channels) {
    throw new RangeError(
      `buildConstraintMaps: data has ${data.length} values, expected channels × slices × height × width = ${channels} × ${slices} × ${height} × ${width} = ${pixels * channels}`,
    );
  }
  if (config.kidneyBox !== 'OFF' && config.kidneyBox !== 'PER_SLICE')
    throw new RangeError(`buildConstraintMaps: kidneyBox must be OFF or PER_SLICE, got ${String(config.kidneyBox)}`);
  if (config.kidneyBox === 'PER_SLICE' && (!labels || labels.length !== pixels)) {
    throw new RangeError(
      `buildConstraintMaps: kidneyBox PER_SLICE needs labels of ${pixels} voxels (slices × height × width), got ${labels ? labels.length : 'none'}`,
    );
  }
  if (!(Number.isInteger(config.clusters) && config.clusters > 0))
    throw new RangeError(`buildConstraintMaps: clusters must be a positive integer, got ${config.clusters}`);
  if (!(Number.isInteger(config.components) && config.components > 0))
    throw new RangeError(`buildConstraintMaps: components must be a positive integer, got ${config.components}`);

  const t0 = performance.now();
  const { data: normalised, clips } = clipAndRescaleChannels(data, channels, pixels, config.clipLowPercentile, config.clipHighPercentile);
  const t1 = performance.now();
  const pca = pixelPca(normalised, channels, pixels, config.components);
  const comps = pca.components;
  const d = pca.count;
  if (componentScaling === 'joint') rescaleRuns(comps, 1, d * pixels);
  else rescaleRuns(comps, d, pixels);
  const t2 = performance.now();
  if (config.denoise) {
    const scratch = new Float32Array(plane);
    for (let k = 0; k < d; k++) {
      for (let s = 0; s < slices; s++) {
        const view = comps.subarray(k * pixels + s * plane, k * pixels + (s + 1) * plane);
        tvDenoise2d(view, width, height, config.tvWeight, config.tvIterations, scratch);
        view.set(scratch);
      }
    }
  }
  let kidneyBoxes: (KidneyBox | null)[] | null = null;
  if (config.kidneyBox === 'PER_SLICE' && labels) {
    kidneyBoxes = [];
    for (let s = 0; s < slices; s++) {
      const box = sliceKidneyBox(labels, s, width, height, config.kidneyBoxMargin);
      kidneyBoxes.push(box);
      for (let k = 0; k < d; k++) {
        const view = comps.subarray(k * pixels + s * plane, k * pixels + (s + 1) * plane);
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++) if (!box || x < box.x0 || x > box.x1 || y < box.y0 || y > box.y1) view[y * width + x] = 0;
      }
    }
  }
  const t3 = performance.now();

  const points = new Float32Array(pixels * d);
  for (let i = 0; i < pixels; i++) for (let k = 0; k < d; k++) points[i * d + k] = comps[k * pixels + i];
  const result = kmeans(points, d, { k: Math.min(config.clusters, pixels), maxIterations: config.kmeansIterations, seed });
  const maps = Int32Array.from(result.labels);
  const km = { iterations: result.iterations, converged: result.converged, inertia: result.inertia };
  const t4 = performance.now();

  return {
    width,
    height,
    slices,
    maps,
    params: {
      ...config,
      seed,
      componentScaling,
      componentsUsed: d,
      eigenvalues: pca.eigenvalues,
      explainedVarianceRatio: pca.explainedVarianceRatio,
      channelClips: clips,
      kmeans: { ...km, points: pixels },
      kidneyBoxes,
    },
    timingsMs: { normalize: t1 - t0, pca: t2 - t1, denoise: t3 - t2, kmeans: t4 - t3, total: t4 - t0 },
  };
}

/** Bounding box of the slice's kidney voxels (label > 0) grown by `margin` px and clipped, or null without kidney. */
function sliceKidneyBox(labels: ArrayLike<number>, slice: number, width: number, height: number, margin: number): KidneyBox | null {
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (labels[(slice * height + y) * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  return { x0: Math.max(0, x0 - margin), x1: Math.min(width - 1, x1 + margin), y0: Math.max(0, y0 - margin), y1: Math.min(height - 1, y1 + margin) };
}
