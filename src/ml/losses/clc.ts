/**
 * Constrained local contrastive (CLC) loss — Umapathy et al., "Reducing annotation burden in MR: a novel
 * MR-contrast guided contrastive learning approach for image segmentation", Med Phys 2023; applied to renal MRI by
 * Ghoul et al., ISMRM 2024 (abstract 2093). Reference code (read, not copied):
 * lunastra26/multi-contrast-contrastive-learning, utils/constrained_contrastive_loss.py ("pairwise" variant).
 *
 * Per image b of the batch:
 * 1. Cut the local-head features [H, W, F] into non-overlapping p×p patches (row-major patch grid of
 *    (H/p)·(W/p) = N patches); flatten each patch in (dy, dx, f) order to a vector of p·p·F values and
 *    L2-normalise it: z_i = v_i / sqrt(‖v_i‖² + 1e-12).
 * 2. Draw `anchors` anchor patches uniformly without replacement (seeded) among the foreground patches, i.e.
 *    those with patchLabels ≥ 0 (all of them when there are fewer).
 * 3. For anchor a: s(a, j) = z_a · z_j (cosine similarity). Its neighbourhood T_a is a itself plus the k patches
 *    j ≠ a with the highest s(a, j) (k = `topK`, capped at N − 1; ties broken by tf.topk's order) — the
 *    "top-(k+1), itself included" of method.md, with a forced in even when duplicate patches tie with it.
 *    Positives P_a = { j ∈ T_a, j ≠ a, label_j = label_a }, negatives N_a = { j ∈ T_a, label_j ≠ label_a }
 *    (background patches, label −1, can be negatives but never anchors or positives of a labelled anchor).
 * 4. For p ∈ P_a:  ℓ(a, p) = −log( e^{s(a,p)/τ} / ( e^{s(a,p)/τ} + Σ_{n∈N_a} e^{s(a,n)/τ} ) )
 *    computed stably as log(e^{x_p − m} + Σ_n e^{x_n − m}) − (x_p − m), x = s/τ, m = max over T_a \ {a}.
 *
 *   loss = mean over images b that have ≥ 1 valid anchor of
 *            mean over valid anchors a of b of  mean over p ∈ P_a of ℓ(a, p)
 * An anchor is valid when P_a is non-empty: anchors without positives contribute nothing (neither to the sum
 * nor to the count). If no anchor of the batch is valid the loss is 0 (with a zero gradient).
 *
 * Differentiable w.r.t. `features` on wasm: patches come from reshape/transpose, anchors are picked by a one-hot
 * matMul, and the neighbourhoods enter as constant 0/1 masks (the selection itself is not differentiated, as in
 * the reference). The similarities are read back once per call (one GPU/wasm → JS sync) to pick anchors'
 * neighbourhoods.
 *
 * Arguments:
 * - `features` [B, H, W, F] float, H and W divisible by `patchSize`.
 * - `patchLabels` [B, H/p, W/p] int32 (tensor, or Int32Array in that row-major layout): the majority
 *   constraint-map cluster per patch, −1 = no label / background (see `patchMajorityLabels`).
 * - `options.tau` τ > 0, default `PRESETS.PAPER.clc.tau` = 0.1.
 * - `options.topK` k, default `PRESETS.PAPER.clc.topK` = 100.
 * - `options.anchors` anchors per image, default `PRESETS.PAPER.clc.anchors` = 20.
 * - `options.patchSize` p, default `PRESETS.PAPER.clc.patchSize` = 4.
 * - `options.seed` seed of the anchor draw, default 0 (pass e.g. a per-step seed in training).
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type ClcConfig } from '../presets';
import { seededRng } from '../random';
import { requirePositive, requirePositiveInteger, requireRank, shapeText } from './validate';

export type ClcOptions = Partial<Pick<ClcConfig, 'tau' | 'topK' | 'anchors' | 'patchSize'>> & { seed?: number };

/** Per-batch bookkeeping of the last selection, for tests and diagnostics. */
export interface ClcSelection {
  /** Anchor patch indices per image (row-major patch grid). */
  anchors: number[][];
  /** Number of positives per anchor, parallel to `anchors`. */
  positives: number[][];
  /** Number of negatives per anchor. */
  negatives: number[][];
}

export function clcLoss(
  features: tf.Tensor,
  patchLabels: tf.Tensor | Int32Array,
  options: ClcOptions = {},
  selectionOut?: ClcSelection,
): tf.Scalar {
  const fn = 'clcLoss';
  const defaults = PRESETS.PAPER.clc;
  const tau = options.tau ?? defaults.tau;
  const topK = options.topK ?? defaults.topK;
  const anchorsPerImage = options.anchors ?? defaults.anchors;
  const p = options.patchSize ?? defaults.patchSize;
  const seed = options.seed ?? 0;
  requirePositive(fn, 'tau', tau);
  requirePositiveInteger(fn, 'topK', topK);
  requirePositiveInteger(fn, 'anchors', anchorsPerImage);
  requirePositiveInteger(fn, 'patchSize', p);
  requireRank('features', fn, features, 4, '[B, H, W, F]');
  const [B, H, W, F] = features.shape;
  if (H % p !== 0 || W % p !== 0) {
    throw new RangeError(`${fn}: features ${shapeText(features.shape)} height and width must be divisible by patchSize ${p}`);
  }
  const hp = H / p;
  const wp = W / p;
  const N = hp * wp;
  const D = p * p * F;
  const labels = readLabels(fn, patchLabels, [B, hp, wp], features.shape);

  return tf.tidy(() => {
    // [B, H, W, F] = [B·hp, p, wp, p·F] → [B·hp, wp, p, p·F] → [B, N, p·p·F]: patch (r, c) row-major, (dy, dx, f) inside.
    const patches = features
      .toFloat()
      .reshape([B * hp, p, wp, p * F])
      .transpose([0, 2, 1, 3])
      .reshape([B, N, D]);
    const z = patches.div(patches.square().sum(-1, true).add(1e-12).sqrt()) as tf.Tensor3D;

    // Anchor draw (seeded, foreground only).
    const rng = seededRng(seed);
    const anchorIdx: number[][] = [];
    let K = 0;
    for (let b = 0; b < B; b++) {
      const fg: number[] = [];
      for (let i = 0; i < N; i++) if (labels[b * N + i] >= 0) fg.push(i);
      // Partial Fisher–Yates: the first `take` entries become a uniform sample without replacement.
      const take = Math.min(anchorsPerImage, fg.length);
      for (let i = 0; i < take; i++) {
        const j = i + rng.int(fg.length - i);
        const tmp = fg[i];
        fg[i] = fg[j];
        fg[j] = tmp;
      }
      anchorIdx.push(fg.slice(0, take));
      K = Math.max(K, take);
    }
    if (K === 0) {
      if (selectionOut) Object.assign(selectionOut, { anchors: anchorIdx, positives: anchorIdx.map(() => []), negatives: anchorIdx.map(() => []) });
      return z.sum().mul(0) as tf.Scalar;
    }

    // One-hot anchor selector [B, K, N] (rows of images with fewer anchors stay zero and get zero weight).
    const onehot = new Float32Array(B * K * N);
    anchorIdx.forEach((list, b) => list.forEach((i, k) => (onehot[(b * K + k) * N + i] = 1)));
    const selector = tf.tensor3d(onehot, [B, K, N]);
    const za = tf.matMul(selector, z); // [B, K, D]
    const sim = tf.matMul(za, z, false, true); // [B, K, N] cosine similarities

    // Neighbourhoods: anchor itself excluded from topk (forced in), k others by similarity.
    const k = Math.min(topK, N - 1);
    const simValues = sim.dataSync();
    const masked = tf.tensor3d(simValues, [B, K, N]).sub(selector.mul(1e9));
    const nbr = tf.topk(masked, Math.max(k, 1)).indices.dataSync();
    const pos = new Float32Array(B * K * N);
    const neg = new Float32Array(B * K * N);
    const shift = new Float32Array(B * K);
    const nPos: number[][] = [];
    const nNeg: number[][] = [];
    const anchorWeight: number[][] = [];
    let validImages = 0;
    for (let b = 0; b < B; b++) {
      nPos.push([]);
      nNeg.push([]);
      for (let a = 0; a < anchorIdx[b].length; a++) {
        const row = b * K + a;
        const la = labels[b * N + anchorIdx[b][a]];
        let np = 0;
        let nn = 0;
        let m = -Infinity;
        for (let t = 0; t < k; t++) {
          const j = nbr[row * Math.max(k, 1) + t];
          const lj = labels[b * N + j];
          if (lj === la) {
            pos[row * N + j] = 1;
            np++;
          } else {
            neg[row * N + j] = 1;
            nn++;
          }
          m = Math.max(m, simValues[row * N + j] / tau);
        }
        shift[row] = Number.isFinite(m) ? m : 0;
        nPos[b].push(np);
        nNeg[b].push(nn);
      }
      const valid = nPos[b].filter((n) => n > 0).length;
      anchorWeight.push(nPos[b].map((n) => (n > 0 ? 1 / (n * valid) : 0)));
      if (valid > 0) validImages++;
    }
    if (selectionOut) Object.assign(selectionOut, { anchors: anchorIdx, positives: nPos, negatives: nNeg });
    if (validImages === 0) return z.sum().mul(0) as tf.Scalar;

    // Weight of each (anchor, positive) pair: 1 / (|P_a| · valid anchors of b · valid images).
    const weight = new Float32Array(B * K * N);
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < anchorIdx[b].length; a++) {
        const w = anchorWeight[b][a] / validImages;
        if (w === 0) continue;
        const row = (b * K + a) * N;
        for (let j = 0; j < N; j++) if (pos[row + j]) weight[row + j] = w;
      }
    }
    const x = sim.div(tau).sub(tf.tensor3d(shift, [B, K, 1])); // x − m
    const ex = x.exp();
    const negSum = ex.mul(tf.tensor3d(neg, [B, K, N])).sum(-1, true); // Σ_n e^{x_n − m}
    const perPair = ex.add(negSum).log().sub(x); // ℓ(a, j) for every j; only positives are kept
    return perPair.mul(tf.tensor3d(weight, [B, K, N])).sum() as tf.Scalar;
  });
}

function readLabels(fn: string, labels: tf.Tensor | Int32Array, expected: number[], featShape: number[]): Int32Array {
  const expectedText = `[${expected.join(', ')}] ([B, H/patchSize, W/patchSize] for features ${shapeText(featShape)})`;
  if (labels instanceof Int32Array) {
    const n = expected.reduce((a, b) => a * b, 1);
    if (labels.length !== n) throw new RangeError(`${fn}: patchLabels has ${labels.length} values, expected ${n} = ${expectedText}`);
    return labels;
  }
  if (labels.rank !== 3 || labels.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`${fn}: patchLabels ${shapeText(labels.shape)} must have shape ${expectedText}`);
  }
  return Int32Array.from(labels.dataSync());
}
