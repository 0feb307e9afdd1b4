/**
 * Baselines every report carries (issue 13), so a Dice difference can be read against what the setup allows:
 * - `ceilingDice`: the manual mask taken to the training resolution and back (nearest neighbour both ways, the
 *   path a prediction takes in evaluation, src/runners/jobs/evaluate.ts) scored against itself at the series' own
 *   resolution: the best Dice any model trained at that size can reach.
 * - `locationPriorDice`: a label-by-position model with no image at all. From the TRAIN subjects' masks at the
 *   training size, per pixel and relative slice position (slices binned into the TRAIN median slice count), the most
 *   frequent label; that map, taken back to each TEST subject's own resolution, scored as a prediction. What the
 *   location alone gives.
 * Both are means over the TEST subjects of the two kidneys' mean Dice. Pure functions over label volumes.
 */
import { resampleLabels, resampleLabelsTo } from '../data/resample';
import { kidneyDice } from '../ml/metrics';

export interface LabelledVolume {
  /** Labels [slices][height][width]: 0 background, 1 right, 2 left kidney. */
  mask: Uint8Array;
  width: number;
  height: number;
  slices: number;
}

export function ceilingDice(test: readonly LabelledVolume[], size: number): number | null {
  if (!test.length) return null;
  const scores = test.map((v) => {
    const down = resampleLabels(v.mask, v.width, v.height, v.slices, size);
    return meanKidney(kidneyDice(resampleLabelsTo(down, size, size, v.slices, v.width, v.height), v.mask));
  });
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

export function locationPriorDice(train: readonly LabelledVolume[], test: readonly LabelledVolume[], size: number): number | null {
  if (!train.length || !test.length) return null;
  const sliceCounts = train.map((v) => v.slices).sort((a, b) => a - b);
  const bins = Math.max(1, sliceCounts[Math.floor(sliceCounts.length / 2)]);
  const plane = size * size;
  // counts[(bin · 3 + label) · plane + pixel]
  const counts = new Float64Array(bins * 3 * plane);
  for (const v of train) {
    const m = resampleLabels(v.mask, v.width, v.height, v.slices, size);
    for (let z = 0; z < v.slices; z++) {
      const bin = binOf(z, v.slices, bins);
      for (let i = 0; i < plane; i++) counts[(bin * 3 + m[z * plane + i]) * plane + i]++;
    }
  }
  const scores = test.map((v) => {
    const pred = new Uint8Array(v.slices * plane);
    for (let z = 0; z < v.slices; z++) {
      const bin = binOf(z, v.slices, bins);
      for (let i = 0; i < plane; i++) {
        let best = 0;
        for (let label = 1; label < 3; label++) if (counts[(bin * 3 + label) * plane + i] > counts[(bin * 3 + best) * plane + i]) best = label;
        pred[z * plane + i] = best;
      }
    }
    return meanKidney(kidneyDice(resampleLabelsTo(pred, size, size, v.slices, v.width, v.height), v.mask));
  });
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

function binOf(z: number, slices: number, bins: number): number {
  return Math.min(bins - 1, Math.floor(((z + 0.5) / slices) * bins));
}

function meanKidney(d: { right: number; left: number }): number {
  return (d.right + d.left) / 2;
}
