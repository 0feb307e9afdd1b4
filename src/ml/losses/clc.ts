/**
 * Constrained local contrastive (CLC) loss — Umapathy et al., "Reducing annotation burden in MR: a novel
 * MR-contrast guided contrastive learning approach for image segmentation", Med Phys 2023; applied to renal MRI by
 * Ghoul et al., ISMRM 2024 (abstract 2093). It follows the reference code's "pairwise" variant (read, not copied):
 * lunastra26/multi-contrast-contrastive-learning @13a065d, utils/constrained_contrastive_loss.py —
 * `calc_CCL_batchwise` (lines 39–58), `calc_CCL_imagewise` (60–134), `get_nei_probability` (137–181),
 * `calculate_contrastive_loss` with contrastive_loss_type 2 (183–199); the defaults τ 0.1, patch 4, topk 100, 20
 * anchors are config/pretrain_config.py (lines 36–41).
 *
 * Per image b of the batch:
 * 1. Cut the local-head features [H, W, F] into non-overlapping p×p patches (row-major patch grid of
 *    (H/p)·(W/p) = N patches); flatten each patch in (dy, dx, f) order to a vector of p·p·F values and
 *    L2-normalise it: z_i = v_i / sqrt(‖v_i‖² + 1e-12). Every patch is in the "memory bank" (reference 96–100).
 * 2. Draw `anchors` anchor patches (seeded, ./clc-anchors.ts) among the candidates: patches with a label ≥ 0 and,
 *    when `anchorCandidates` is given, inside the body (the reference's sampling mask, 104–113).
 * 3. For anchor a: s(a, j) = z_a · z_j. Its neighbourhood T_a is the top-(k+1) patches by s(a, ·) — a itself plus
 *    the k most similar others (reference 159–168: `top_k(k = topk + 1)` over all patches; s(a, a) = 1 is the
 *    largest, nephron forces a in so that a duplicate patch tying with it cannot push it out). k = `topK`, capped at
 *    N − 1 (the reference instead skips images with N ≤ topk + 1, line 117).
 *    Positives P_a = { j ∈ T_a : label_j = label_a } — **a itself among them** (`close_neighbors` compares every
 *    patch's cluster with a's, line 173, and a is in T_a); negatives N_a = T_a \ P_a (lines 175–176). Patches with
 *    label −1 are negatives of every anchor.
 * 4. With x = s/τ: for p ∈ P_a,  ℓ(a, p) = −log( e^{x_p} / ( e^{x_p} + Σ_{n∈N_a} e^{x_n} ) + ε ),  ε = 1e−7 inside
 *    the log as in the reference (line 198), averaged over P_a (`reduce_mean`, line 198). The ratio is computed with
 *    every exponent shifted by m = max over T_a (it cancels in the ratio), so small τ cannot overflow.
 *
 *   loss = mean over images with ≥ 1 anchor of ( mean over every drawn anchor a of mean over p ∈ P_a of ℓ(a, p) )
 * Every drawn anchor counts, also one whose only positive is itself: its term −log(e^{1/τ}/(e^{1/τ} + Σ_n e^{x_n}) + ε)
 * pushes its k nearest other-cluster patches away (reference line 130 divides by num_samples_loss_eval). Images
 * with no anchor candidate (a slice without body) do not count; the reference assumes every image has anchors and
 * divides by the batch size (line 57). If no image of the batch has an anchor the loss is 0 with a zero gradient.
 *
 * Differentiable w.r.t. `features` on wasm: patches come from reshape/transpose, anchors are picked by a one-hot
 * matMul, and the neighbourhoods enter as constant 0/1 masks (the selection itself is not differentiated, as in
 * the reference). The similarities are read back once per call to pick the neighbourhoods.
 *
 * Arguments:
 * - `features` [B, H, W, F] float, H and W divisible by `patchSize`.
 * - `patchLabels` [B, H/p, W/p] int32 (tensor, or Int32Array in that row-major layout): the majority
 *   constraint-map cluster per patch, −1 = no cluster (see `patchMajorityLabels`).
 * - `options.anchorCandidates` Uint8Array [B, H/p, W/p]: non-zero where a patch may be an anchor (the body mask,
 *   `patchBodyMask`); default: every patch with a label ≥ 0.
 * - `options.anchorSampling` UNIFORM (default, the reference) or STRATIFIED (./clc-anchors.ts).
 * - `options.tau` τ > 0, default 0.1; `options.topK` k, default 100; `options.anchors` per image, default 20;
 *   `options.patchSize` p, default 4 (the reference's values); `options.seed` of the anchor draw, default 0.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRng } from '../random';
import { drawAnchors, type AnchorSampling } from './clc-anchors';
import { requirePositive, requirePositiveInteger, requireRank, shapeText } from './validate';

/** The reference code's loss parameters (config/pretrain_config.py, lines 36–39), the defaults of `clcLoss`. */
export const REFERENCE_CLC = { tau: 0.1, topK: 100, anchors: 20, patchSize: 4, epsilon: 1e-7 } as const;

export interface ClcOptions {
  tau?: number;
  topK?: number;
  anchors?: number;
  patchSize?: number;
  seed?: number;
  anchorSampling?: AnchorSampling;
  anchorCandidates?: Uint8Array | null;
}

/** Per-batch bookkeeping of the last selection, for tests and diagnostics. */
export interface ClcSelection {
  /** Anchor patch indices per image (row-major patch grid). */
  anchors: number[][];
  /** Number of positives per anchor (the anchor itself included), parallel to `anchors`. */
  positives: number[][];
  /** Number of negatives per anchor. */
  negatives: number[][];
}

export function clcLoss(features: tf.Tensor, patchLabels: tf.Tensor | Int32Array, options: ClcOptions = {}, selectionOut?: ClcSelection): tf.Scalar {
  const fn = 'clcLoss';
  const tau = options.tau ?? REFERENCE_CLC.tau;
  const topK = options.topK ?? REFERENCE_CLC.topK;
  const anchorsPerImage = options.anchors ?? REFERENCE_CLC.anchors;
  const p = options.patchSize ?? REFERENCE_CLC.patchSize;
  const sampling = options.anchorSampling ?? 'UNIFORM';
  requirePositive(fn, 'tau', tau);
  requirePositiveInteger(fn, 'topK', topK);
  requirePositiveInteger(fn, 'anchors', anchorsPerImage);
  requirePositiveInteger(fn, 'patchSize', p);
  if (sampling !== 'UNIFORM' && sampling !== 'STRATIFIED') throw new RangeError(`${fn}: anchorSampling must be UNIFORM or STRATIFIED, got ${String(sampling)}`);
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
  const candidates = options.anchorCandidates ?? null;
  if (candidates && candidates.length !== B * N) {
    throw new RangeError(`${fn}: anchorCandidates has ${candidates.length} values, expected ${B * N} = [${B}, ${hp}, ${wp}]`);
  }

  return tf.tidy(() => {
    // [B, H, W, F] = [B·hp, p, wp, p·F] → [B·hp, wp, p, p·F] → [B, N, p·p·F]: patch (r, c) row-major, (dy, dx, f) inside.
    const patches = features
      .toFloat()
      .reshape([B * hp, p, wp, p * F])
      .transpose([0, 2, 1, 3])
      .reshape([B, N, D]);
    const z = patches.div(patches.square().sum(-1, true).add(1e-12).sqrt()) as tf.Tensor3D;

    const rng = seededRng(options.seed ?? 0).next;
    const anchorIdx: number[][] = [];
    for (let b = 0; b < B; b++) {
      anchorIdx.push(drawAnchors(labels.subarray(b * N, (b + 1) * N), candidates && candidates.subarray(b * N, (b + 1) * N), anchorsPerImage, sampling, rng));
    }
    const K = Math.max(0, ...anchorIdx.map((a) => a.length));
    const imagesWithAnchors = anchorIdx.filter((a) => a.length > 0).length;
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

    // Neighbourhood T_a: the anchor (forced in) and the k most similar other patches.
    const k = Math.min(topK, N - 1);
    const simValues = sim.dataSync();
    const others = k > 0 ? tf.topk(tf.tensor3d(simValues, [B, K, N]).sub(selector.mul(1e9)), k).indices.dataSync() : new Int32Array(0);
    const pos = new Float32Array(B * K * N);
    const neg = new Float32Array(B * K * N);
    const weight = new Float32Array(B * K * N);
    const shift = new Float32Array(B * K);
    const nPos: number[][] = [];
    const nNeg: number[][] = [];
    for (let b = 0; b < B; b++) {
      nPos.push([]);
      nNeg.push([]);
      const list = anchorIdx[b];
      for (let a = 0; a < list.length; a++) {
        const row = b * K + a;
        const la = labels[b * N + list[a]];
        const members = [list[a]];
        for (let t = 0; t < k; t++) members.push(others[row * k + t]);
        let m = -Infinity;
        const positives: number[] = [];
        let nn = 0;
        for (const j of members) {
          if (labels[b * N + j] === la) {
            pos[row * N + j] = 1;
            positives.push(j);
          } else {
            neg[row * N + j] = 1;
            nn++;
          }
          m = Math.max(m, simValues[row * N + j] / tau);
        }
        shift[row] = m;
        // Mean over positives, then over the image's anchors, then over images with anchors.
        const w = 1 / (positives.length * list.length * imagesWithAnchors);
        for (const j of positives) weight[row * N + j] = w;
        nPos[b].push(positives.length);
        nNeg[b].push(nn);
      }
    }
    if (selectionOut) Object.assign(selectionOut, { anchors: anchorIdx, positives: nPos, negatives: nNeg });

    const x = sim.div(tau).sub(tf.tensor3d(shift, [B, K, 1])); // x − m ≤ 0 on T_a
    const ex = x.exp();
    const negSum = ex.mul(tf.tensor3d(neg, [B, K, N])).sum(-1, true); // Σ_n e^{x_n − m}
    const ratio = ex.div(ex.add(negSum)); // e^{x_j}/(e^{x_j} + Σ_n e^{x_n}) for every j; only positives are kept
    const perPair = ratio.add(REFERENCE_CLC.epsilon).log().neg();
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
