/**
 * Figures of a synthetic cohort that say whether labels matter (issue 12), used by bench/phantom.ts:
 * - the location prior: the voxel-wise plurality label of K TRAIN masks (slices aligned on the slab centre, native
 *   128² grid), scored by per-kidney Dice on other subjects' masks — what a model that ignores the image can reach;
 * - constraint-map informativeness: the share of kidney pixels that fall in clusters whose majority is kidney, with
 *   label-free maps at the study's settings (PAPER constraints: 4 PCA components, TV denoising, K = 20).
 */
import { normalizeChannels } from '../src/data/normalize';
import type { SeriesVolume } from '../src/data/volume';
import { buildConstraintMaps } from '../src/ml/constraint-maps';
import { PRESETS } from '../src/ml/presets';

/** Depth of the aligned grid: the largest slab (16 slices) plus margin. */
const DEPTH = 16;

function offsetOf(v: SeriesVolume): number {
  return Math.floor((DEPTH - v.slices) / 2);
}

/** Plurality label (0/1/2, ties to background) per voxel of the aligned grid. */
export function locationPrior(masks: SeriesVolume[]): Uint8Array {
  const { width, height } = masks[0];
  const plane = width * height;
  const counts = new Uint16Array(DEPTH * plane * 3);
  for (const v of masks) {
    if (v.width !== width || v.height !== height) throw new Error('locationPrior: masks of different in-plane sizes');
    const off = offsetOf(v) * plane;
    for (let i = 0; i < v.slices * plane; i++) counts[(off + i) * 3 + v.mask![i]]++;
  }
  const prior = new Uint8Array(DEPTH * plane);
  for (let i = 0; i < prior.length; i++) {
    const b = counts[i * 3];
    const r = counts[i * 3 + 1];
    const l = counts[i * 3 + 2];
    prior[i] = r > b && r >= l ? 1 : l > b && l > r ? 2 : 0;
  }
  return prior;
}

/** Mean of the right and left kidney Dice of the prior on one subject's mask. */
export function priorDice(prior: Uint8Array, v: SeriesVolume): number {
  const plane = v.width * v.height;
  const off = offsetOf(v) * plane;
  const dice = (label: number) => {
    let a = 0;
    let b = 0;
    let both = 0;
    for (let g = 0; g < prior.length; g++) {
      const i = g - off;
      const t = i >= 0 && i < v.slices * plane ? v.mask![i] === label : false;
      const p = prior[g] === label;
      if (p) a++;
      if (t) b++;
      if (p && t) both++;
    }
    return a + b === 0 ? 1 : (2 * both) / (a + b);
  };
  return (dice(1) + dice(2)) / 2;
}

export interface Informativeness {
  /** Share of kidney pixels in kidney-majority clusters. */
  share: number;
  /** Kidney share of the most kidney-rich cluster. */
  bestPurity: number;
  ms: number;
}

export function constraintInformativeness(v: SeriesVolume): Informativeness {
  const t0 = performance.now();
  const maps = buildConstraintMaps(normalizeChannels(v), { ...PRESETS.PAPER.constraints, seed: 0 }).maps;
  const k = PRESETS.PAPER.constraints.clusters;
  const total = new Float64Array(k);
  const kidney = new Float64Array(k);
  for (let i = 0; i < maps.length; i++) {
    if (maps[i] < 0) continue;
    total[maps[i]]++;
    if (v.mask![i]) kidney[maps[i]]++;
  }
  let inMajority = 0;
  let all = 0;
  let bestPurity = 0;
  for (let c = 0; c < k; c++) {
    all += kidney[c];
    if (total[c] === 0) continue;
    const purity = kidney[c] / total[c];
    bestPurity = Math.max(bestPurity, purity);
    if (purity > 0.5) inMajority += kidney[c];
  }
  return { share: all ? inMajority / all : 0, bestPurity, ms: performance.now() - t0 };
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
