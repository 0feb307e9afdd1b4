/**
 * Evaluation metrics on label volumes (typed arrays, no tensors).
 *
 * - `labelCounts`: |A|, |B| and |A ∩ B| of one label in a prediction and a truth, the counts every Dice here is made
 *   of (this 3D Dice, and the pooled validation Dice of fine-tuning, src/ml/train/finetune.ts).
 * - `diceScore`: Dice–Sørensen coefficient of one label in two label volumes (Dice, Ecology 1945), the 3D per-kidney
 *   Dice of method.md's evaluation.
 * - `kidneyDice`: the right (label 1) and left (label 2) kidney Dice of a predicted mask against the manual one.
 *   Labels follow method.md: 0 background, 1 right kidney, 2 left kidney (the patient's right and left).
 * - `adjustedRandIndex`: agreement of two clusterings up to relabelling (Hubert & Arabie, J. Classification 1985),
 *   used to check that constraint maps recover planted tissue classes.
 */

/** Any integer label volume: a flat array in the same voxel order for both arguments. */
export type LabelVolume = ArrayLike<number>;

export const RIGHT_KIDNEY_LABEL = 1;
export const LEFT_KIDNEY_LABEL = 2;

/** The voxels of one label: predicted (|A|), true (|B|) and both (|A ∩ B|). */
export interface LabelCounts {
  pred: number;
  truth: number;
  both: number;
}

/** |A|, |B| and |A ∩ B| with A = { i : pred[i] = label }, B = { i : truth[i] = label }. */
export function labelCounts(predLabels: LabelVolume, trueLabels: LabelVolume, label: number): LabelCounts {
  if (predLabels.length !== trueLabels.length) {
    throw new RangeError(`labelCounts: predLabels has ${predLabels.length} voxels, trueLabels ${trueLabels.length}; they must match`);
  }
  let pred = 0;
  let truth = 0;
  let both = 0;
  for (let i = 0; i < predLabels.length; i++) {
    const p = predLabels[i] === label;
    const t = trueLabels[i] === label;
    if (p) pred++;
    if (t) truth++;
    if (p && t) both++;
  }
  return { pred, truth, both };
}

/** 2 |A ∩ B| / (|A| + |B|) from counts (summed over any number of volumes or batches); 1 when both are empty. */
export function diceFromCounts(c: LabelCounts): number {
  return c.pred + c.truth === 0 ? 1 : (2 * c.both) / (c.pred + c.truth);
}

/**
 * Dice(A, B) = 2 |A ∩ B| / (|A| + |B|) with A = { i : pred[i] = label }, B = { i : truth[i] = label }, over every voxel
 * of the volume (so a 3D Dice when the arrays hold whole volumes).
 * Convention: when the label is absent from both volumes (|A| + |B| = 0) the score is 1 — nothing to find, nothing
 * found — and not NaN.
 */
export function diceScore(predLabels: LabelVolume, trueLabels: LabelVolume, label: number): number {
  return diceFromCounts(labelCounts(predLabels, trueLabels, label));
}

/** Per-kidney 3D Dice: right = label 1, left = label 2 (each with diceScore's both-empty → 1 convention). */
export function kidneyDice(pred: LabelVolume, truth: LabelVolume): { right: number; left: number } {
  return { right: diceScore(pred, truth, RIGHT_KIDNEY_LABEL), left: diceScore(pred, truth, LEFT_KIDNEY_LABEL) };
}

/**
 * Adjusted Rand index of two labellings of the same n items (Hubert & Arabie 1985):
 *   with the contingency table n_ij, row sums a_i, column sums b_j and C(x) = x(x − 1)/2,
 *   index = Σ_ij C(n_ij),  expected = Σ_i C(a_i) · Σ_j C(b_j) / C(n),  max = ½ (Σ_i C(a_i) + Σ_j C(b_j)),
 *   ARI = (index − expected) / (max − expected).
 * 1 for identical partitions (up to relabelling), ≈ 0 for independent ones; 1 when both put everything in one
 * cluster (max = expected). Labels are any integers.
 */
export function adjustedRandIndex(a: LabelVolume, b: LabelVolume): number {
  if (a.length !== b.length) throw new RangeError(`adjustedRandIndex: labellings of ${a.length} and ${b.length} items`);
  const n = a.length;
  const c2 = (x: number) => (x * (x - 1)) / 2;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sumA = 0;
  for (const v of rows.values()) sumA += c2(v);
  let sumB = 0;
  for (const v of cols.values()) sumB += c2(v);
  const expected = n < 2 ? 0 : (sumA * sumB) / c2(n);
  const max = (sumA + sumB) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
