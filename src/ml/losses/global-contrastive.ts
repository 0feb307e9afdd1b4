/**
 * Global contrastive loss, strategy G^D — Chaitanya, Erdil, Karani & Konukoglu, "Contrastive learning of global
 * and local features for medical image segmentation with limited annotations", NeurIPS 2020, Eq. (1)–(2) with the
 * domain-specific positive set. Reference code (read, not copied): krishnabits001/domain_specific_cl, models.py
 * (`encoder_pretrain_net`, `global_loss_exp_no`).
 *
 * A batch holds, for several volumes, one slice per partition (each volume's slices split into `partitions` equal
 * ranges) and two augmented views of each slice. Under G^D, every image whose slice comes from the same partition
 * — its other views and the same-partition slices (and their views) of the other volumes — is a positive; images
 * of the other partitions are the negatives. So the partition id of each row is all the loss needs; volume and
 * view ids do not enter it.
 *
 * With z_i = e_i / ‖e_i‖ (L2-normalised rows of `embeddings`), s_ij = z_i · z_j, the positive set
 * P(i) = { j ≠ i : part_j = part_i } and the negative set N(i) = { j : part_j ≠ part_i }:
 *
 *   ℓ(i, j) = −log( e^{s_ij/τ} / ( e^{s_ij/τ} + Σ_{n ∈ N(i)} e^{s_in/τ} ) )          for j ∈ P(i)
 *   loss    = (1 / Σ_i |P(i)|) Σ_i Σ_{j ∈ P(i)} ℓ(i, j)
 *
 * i.e. the mean over all ordered positive pairs (both (i, j) and (j, i) count, each with its own anchor's
 * negatives, as in the reference). The denominator holds the pair's own positive and the negatives only — other
 * positives are neither pulled nor pushed by that term. Computed stably with a per-row shift
 * m_i = max_{j ∈ P(i) ∪ N(i)} s_ij/τ that cancels exactly. The shift is taken on the device as a constant (no
 * gradient flows through it, as when it was read back to the host): nothing is read inside the loss, which on
 * WebGPU would cost a second forward pass (../reads.ts).
 *
 * Arguments:
 * - `embeddings` [N, D] float: the global-head projections (normalisation happens here).
 * - `partitions` length-N integer partition ids (Int32Array, number[] or an int tensor [N]); any integers, only
 *   equality matters. At least one row must share its partition with another row.
 * - `options.tau` τ > 0, default `PRESETS.PAPER.global.tau` = 0.1.
 * Returns a scalar tensor, differentiable w.r.t. `embeddings` on every backend (matMul, exp, log, max, masks).
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type GlobalConfig } from '../presets';
import { requirePositive, requireRank, shapeText } from './validate';

export type GlobalContrastiveOptions = Partial<Pick<GlobalConfig, 'tau'>>;

export function globalContrastiveLoss(embeddings: tf.Tensor, partitions: ArrayLike<number> | tf.Tensor, options: GlobalContrastiveOptions = {}): tf.Scalar {
  const fn = 'globalContrastiveLoss';
  const tau = options.tau ?? PRESETS.PAPER.global.tau;
  requirePositive(fn, 'tau', tau);
  requireRank('embeddings', fn, embeddings, 2, '[N, D]');
  const [N] = embeddings.shape;
  let part: ArrayLike<number>;
  if (partitions instanceof tf.Tensor) {
    if (partitions.rank !== 1 || partitions.shape[0] !== N) {
      throw new RangeError(`${fn}: partitions ${shapeText(partitions.shape)} must have shape [${N}] for embeddings ${shapeText(embeddings.shape)}`);
    }
    part = partitions.dataSync();
  } else {
    part = partitions;
  }
  if (part.length !== N) {
    throw new RangeError(`${fn}: partitions has ${part.length} ids, expected ${N} (one per row of embeddings ${shapeText(embeddings.shape)})`);
  }
  for (let i = 0; i < N; i++) {
    if (!Number.isInteger(part[i])) throw new RangeError(`${fn}: partitions[${i}] = ${part[i]} is not an integer`);
  }

  const pos = new Float32Array(N * N);
  const neg = new Float32Array(N * N);
  let pairs = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (part[i] !== part[j]) neg[i * N + j] = 1;
      else if (i !== j) {
        pos[i * N + j] = 1;
        pairs++;
      }
    }
  }
  if (pairs === 0) throw new RangeError(`${fn}: no positive pair: every partition id occurs once among the ${N} rows`);

  return tf.tidy(() => {
    const e = embeddings.toFloat();
    const z = e.div(e.square().sum(-1, true).add(1e-12).sqrt());
    const x = tf.matMul(z, z, false, true).div(tau); // [N, N] s/τ
    const xm = x.sub(rowShift(x, pos, neg, N));
    const ex = xm.exp();
    const negSum = ex.mul(tf.tensor2d(neg, [N, N])).sum(-1, true);
    const perPair = ex.add(negSum).log().sub(xm);
    return perPair
      .mul(tf.tensor2d(pos, [N, N]))
      .sum()
      .div(pairs) as tf.Scalar;
  });
}

/** m_i = max over j ∈ P(i) ∪ N(i) of x_ij, [N, 1], as a constant: its gradient is zero. */
function rowShift(x: tf.Tensor, pos: Float32Array, neg: Float32Array, N: number): tf.Tensor {
  const inSet = new Uint8Array(N * N);
  for (let k = 0; k < N * N; k++) inSet[k] = pos[k] || neg[k] ? 1 : 0;
  const constant = tf.customGrad((xIn) => ({
    value: tf.max(tf.where(tf.tensor2d(inSet, [N, N], 'bool'), xIn as tf.Tensor, tf.fill([N, N], -Infinity)), -1, true),
    gradFunc: () => tf.zerosLike(xIn as tf.Tensor),
  }));
  return constant(x);
}
