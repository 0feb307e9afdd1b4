/**
 * Anchor draws of the CLC loss (./clc.ts). The reference code draws its `num_samples_loss_eval` anchors at random
 * among the non-zero locations of a precomputed sampling mask (lunastra26/multi-contrast-contrastive-learning,
 * utils/constrained_contrastive_loss.py, `calc_CCL_imagewise`, lines 104–113, and `get_mask_indices`); nephron's
 * sampling mask is the label-free body mask (src/ml/constraint-maps/body-mask.ts), cut into patches.
 *
 * - UNIFORM: `count` candidates uniformly without replacement (all of them when there are fewer), as the reference.
 * - STRATIFIED: the same number, spread evenly over the constraint clusters present among the candidates: clusters in
 *   a random order, each cluster's candidates shuffled, then round-robin (one patch per cluster per round) until
 *   `count` are drawn or the candidates run out. A small cluster (a kidney's cortex) then gets about count / K anchors
 *   instead of count × its area fraction. Not in the reference: nephron's option for small organs.
 */
type Rng = () => number;

export const ANCHOR_SAMPLINGS = ['UNIFORM', 'STRATIFIED'] as const;
export type AnchorSampling = (typeof ANCHOR_SAMPLINGS)[number];

/**
 * Anchor patch indices of one image. `labels[i]` is patch i's cluster (−1 = none: never an anchor), `candidates`
 * (optional) non-zero where patch i may be an anchor (the body); without it every labelled patch may.
 */
export function drawAnchors(labels: ArrayLike<number>, candidates: ArrayLike<number> | null, count: number, sampling: AnchorSampling, rng: Rng): number[] {
  const pool: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0 && (!candidates || candidates[i])) pool.push(i);
  if (sampling === 'UNIFORM') return partialShuffle(pool, Math.min(count, pool.length), rng);

  const byCluster = new Map<number, number[]>();
  for (const i of pool) {
    const list = byCluster.get(labels[i]);
    if (list) list.push(i);
    else byCluster.set(labels[i], [i]);
  }
  // Sorted first so that the draw depends on the seed only, not on Map insertion order.
  const clusters = partialShuffle(
    [...byCluster.keys()].sort((a, b) => a - b),
    byCluster.size,
    rng,
  ).map((c) => {
    const list = byCluster.get(c)!;
    return partialShuffle(list, list.length, rng);
  });
  const out: number[] = [];
  const take = Math.min(count, pool.length);
  for (let round = 0; out.length < take; round++) {
    for (const list of clusters) {
      if (round < list.length) out.push(list[round]);
      if (out.length === take) break;
    }
  }
  return out;
}

/** Partial Fisher–Yates: the first `take` entries become a uniform sample without replacement, in draw order. */
function partialShuffle<T>(items: T[], take: number, rng: Rng): T[] {
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (items.length - i));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items.slice(0, take);
}
