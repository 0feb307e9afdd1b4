/**
 * Focal Tversky loss — Abraham & Khan, "A novel focal Tversky loss function with improved attention U-Net for
 * lesion segmentation", ISBI 2019 (arXiv:1810.07842); per-class alpha and class weights as in method.md.
 *
 * With soft counts summed over the batch and all pixels (yTrue one-hot t, yPred softmax p, class c):
 *
 *   TP_c = Σ t_c · p_c      FN_c = Σ t_c · (1 − p_c)      FP_c = Σ (1 − t_c) · p_c
 *   TI_c = (TP_c + s) / (TP_c + α_c · FN_c + (1 − α_c) · FP_c + s)
 *   loss = Σ_c w_c · max(1 − TI_c, ε)^(1/γ)
 *
 * α_c weights false negatives (α > 0.5 penalises missed kidney more than spill-over); γ > 1 focuses the loss on
 * the classes that are still poor. The reduction is the weighted SUM over classes (not a mean), as in method.md.
 *
 * Guard: for 1/γ < 1, d/dx x^(1/γ) = (1/γ) x^(1/γ − 1) is infinite at x = 1 − TI = 0 (a perfect class). The base is
 * clipped at ε = 1e-6 (`FOCAL_TVERSKY_EPSILON`), so the loss is at least w_c · ε^(1/γ) per class (≈ 3e-5 for
 * γ = 4/3) and its gradient stays finite (≤ (1/γ) ε^(1/γ − 1) ≈ 24 times dTI); below ε the class gives no gradient.
 *
 * Arguments:
 * - `yTrue` [B, H, W, C] one-hot ground truth (float; soft labels in [0, 1] also work).
 * - `yPred` [B, H, W, C] class probabilities (softmax output), same shape.
 * - `options.alpha` per-class α_c, length C; default `PRESETS.PAPER.finetune.alpha` = (0.5, 0.7, 0.7).
 * - `options.weights` per-class w_c, length C; default `PRESETS.PAPER.finetune.weights` = (0.1, 1, 1).
 * - `options.gamma` γ > 0; default `PRESETS.PAPER.finetune.gamma` = 4/3 (exponent 1/γ = 0.75).
 * - `options.smooth` s ≥ 0; default `PRESETS.PAPER.finetune.smooth` = 1.
 * Returns a scalar tensor. Differentiable w.r.t. yPred on cpu and wasm (mul, sum, div, maximum, pow).
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type FinetuneConfig } from '../presets';
import { requirePositive, requireRank, requireSameShape, shapeText } from './validate';

export type FocalTverskyOptions = Partial<Pick<FinetuneConfig, 'alpha' | 'weights' | 'gamma' | 'smooth'>>;

/** Lower clip of 1 − TI_c before the power 1/γ (see the guard above). */
export const FOCAL_TVERSKY_EPSILON = 1e-6;

export function focalTversky(yTrue: tf.Tensor, yPred: tf.Tensor, options: FocalTverskyOptions = {}): tf.Scalar {
  const fn = 'focalTversky';
  const defaults = PRESETS.PAPER.finetune;
  const alpha = options.alpha ?? defaults.alpha;
  const weights = options.weights ?? defaults.weights;
  const gamma = options.gamma ?? defaults.gamma;
  const smooth = options.smooth ?? defaults.smooth;
  requireRank('yTrue', fn, yTrue, 4, '[B, H, W, C]');
  requireSameShape(fn, 'yTrue', yTrue, 'yPred', yPred);
  const classes = yTrue.shape[3];
  if (alpha.length !== classes || alpha.some((a) => !(a >= 0 && a <= 1))) {
    throw new RangeError(`${fn}: alpha must hold ${classes} values in [0, 1] for yTrue ${shapeText(yTrue.shape)}, got [${alpha.join(', ')}]`);
  }
  if (weights.length !== classes || weights.some((w) => !(w >= 0))) {
    throw new RangeError(`${fn}: weights must hold ${classes} non-negative values for yTrue ${shapeText(yTrue.shape)}, got [${weights.join(', ')}]`);
  }
  requirePositive(fn, 'gamma', gamma);
  if (!(smooth >= 0)) throw new RangeError(`${fn}: smooth must be >= 0, got ${smooth}`);

  return tf.tidy(() => {
    const t = yTrue.toFloat();
    const p = yPred.toFloat();
    const axes = [0, 1, 2];
    const tp = tf.sum(tf.mul(t, p), axes); // [C]
    const sumT = tf.sum(t, axes);
    const sumP = tf.sum(p, axes);
    const fn_ = tf.sub(sumT, tp); // Σ t(1 − p) = Σ t − TP
    const fp = tf.sub(sumP, tp); // Σ (1 − t) p = Σ p − TP
    const a = tf.tensor1d(alpha, 'float32');
    const denom = tp.add(a.mul(fn_)).add(tf.scalar(1).sub(a).mul(fp)).add(smooth);
    const ti = tp.add(smooth).div(denom);
    const base = tf.maximum(tf.scalar(1).sub(ti), FOCAL_TVERSKY_EPSILON);
    const focal = tf.pow(base, 1 / gamma);
    return tf.sum(focal.mul(tf.tensor1d(weights, 'float32'))) as tf.Scalar;
  });
}
