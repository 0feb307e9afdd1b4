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
 * Option `maskWithLabels` (off by default) restricts step 4 to the 3D bounding box of the kidney labels (all voxels
 * with label > 0, over every slice) and marks the pixels outside it −1, as the renal code did with its bounding-box
 * mask. It feeds manual labels into label-free pretraining — label leakage — so it exists only to reproduce that
 * code; when the labels hold no kidney voxel every pixel is −1.
 *
 * Input layout (src/data/volume.ts): data[((channel · slices + slice) · height + y) · width + x].
 * Output: `maps`, Int32Array [slices][height][width] of cluster ids in [0, clusters) (−1 only with the mask), and
 * `params`, everything needed to reproduce or inspect the maps.
 */
import { PRESETS, type ConstraintConfig } from '../presets';
import { kmeans } from './kmeans';
import { clipAndRescaleChannels, type ChannelClip } from './normalize';
import { pixelPca, rescaleRuns } from './pca';
import { tvDenoise2d } from './tv';

export { patchMajorityLabels, foregroundAboveMinimum } from './patchLabels';
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
  /** Label volume (slice · height + y) · width + x, 0 = background; required only when `maskWithLabels`. */
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
  /** The kidney bounding box used with `maskWithLabels` (inclusive bounds), else null. */
  maskBox: { x0: number; x1: number; y0: number; y1: number; s0: number; s1: number } | null;
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
  for (const [name, v] of [['width', width], ['height', height], ['slices', slices], ['channels', channels]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`buildConstraintMaps: ${name} must be a positive integer, got ${v}`);
  }
  const plane = width * height;
  const pixels = plane * slices;
  if (data.length !== pixels * channels) {
    throw new RangeError(
      `buildConstraintMaps: data has ${data.length} values, expected channels × slices × height × width = ${channels} × ${slices} × ${height} × ${width} = ${pixels * channels}`,
    );
  }
  if (config.maskWithLabels && (!labels || labels.length !== pixels)) {
    throw new RangeError(`buildConstraintMaps: maskWithLabels needs labels of ${pixels} voxels (slices × height × width), got ${labels ? labels.length : 'none'}`);
  }
  if (!(Number.isInteger(config.clusters) && config.clusters > 0)) throw new RangeError(`buildConstraintMaps: clusters must be a positive integer, got ${config.clusters}`);
  if (!(Number.isInteger(config.components) && config.components > 0)) throw new RangeError(`buildConstraintMaps: components must be a positive integer, got ${config.components}`);

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
  const t3 = performance.now();

  // Pixels to cluster: all, or those inside the kidney bounding box.
  let maskBox: ConstraintMapParams['maskBox'] = null;
  let selected: Int32Array | null = null;
  if (config.maskWithLabels && labels) {
    maskBox = kidneyBox(labels, width, height, slices);
    const list: number[] = [];
    if (maskBox) {
      for (let s = maskBox.s0; s <= maskBox.s1; s++)
        for (let y = maskBox.y0; y <= maskBox.y1; y++)
          for (let x = maskBox.x0; x <= maskBox.x1; x++) list.push((s * height + y) * width + x);
    }
    selected = Int32Array.from(list);
  }
  const n = selected ? selected.length : pixels;
  const maps = new Int32Array(pixels).fill(-1);
  let km = { iterations: 0, converged: true, inertia: 0 };
  if (n > 0) {
    const points = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const src = selected ? selected[i] : i;
      for (let k = 0; k < d; k++) points[i * d + k] = comps[k * pixels + src];
    }
    const result = kmeans(points, d, { k: Math.min(config.clusters, n), maxIterations: config.kmeansIterations, seed });
    for (let i = 0; i < n; i++) maps[selected ? selected[i] : i] = result.labels[i];
    km = { iterations: result.iterations, converged: result.converged, inertia: result.inertia };
  }
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
      kmeans: { ...km, points: n },
      maskBox,
    },
    timingsMs: { normalize: t1 - t0, pca: t2 - t1, denoise: t3 - t2, kmeans: t4 - t3, total: t4 - t0 },
  };
}

function kidneyBox(labels: ArrayLike<number>, width: number, height: number, slices: number): ConstraintMapParams['maskBox'] {
  let x0 = width, y0 = height, s0 = slices, x1 = -1, y1 = -1, s1 = -1;
  for (let s = 0; s < slices; s++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (labels[(s * height + y) * width + x] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
          if (s < s0) s0 = s;
          if (s > s1) s1 = s;
        }
      }
    }
  }
  return x1 < 0 ? null : { x0, x1, y0, y1, s0, s1 };
}
