/**
 * Soft Dice loss — Milletari, Navab & Ahmadi, "V-Net", 3DV 2016 (the squared-free form used by MONAI's DiceLoss
 * with `squared_pred=False`, `batch=True`).
 *
 * With soft counts summed over the batch and all pixels (yTrue one-hot t, yPred softmax p, C classes):
 *
 *   D_c  = (2 · Σ t_c p_c + s) / (Σ t_c + Σ p_c + s)
 *   loss = 1 − (1/C) Σ_c D_c
 *
 * Every class, background included, counts equally (drop the background channel from both inputs to exclude it).
 *
 * Arguments:
 * - `yTrue` [B, H, W, C] one-hot ground truth; `yPred` [B, H, W, C] class probabilities, same shape.
 * - `options.smooth` s ≥ 0, added to numerator and denominator (an absent class predicted absent gives D_c = 1);
 *   default `PRESETS.PAPER.finetune.smooth` = 1.
 * Returns a scalar tensor, differentiable w.r.t. yPred on cpu and wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS } from '../presets';
import { requireRank, requireSameShape } from './validate';

export interface SoftDiceOptions {
  smooth?: number;
}

export function softDice(yTrue: tf.Tensor, yPred: tf.Tensor, options: SoftDiceOptions = {}): tf.Scalar {
  const fn = 'softDice';
  const smooth = options.smooth ?? PRESETS.PAPER.finetune.smooth;
  requireRank('yTrue', fn, yTrue, 4, '[B, H, W, C]');
  requireSameShape(fn, 'yTrue', yTrue, 'yPred', yPred);
  if (!(smooth >= 0)) throw new RangeError(`${fn}: smooth must be >= 0, got ${smooth}`);
  return tf.tidy(() => {
    const t = yTrue.toFloat();
    const p = yPred.toFloat();
    const axes = [0, 1, 2];
    const inter = tf.sum(tf.mul(t, p), axes);
    const denom = tf.sum(t, axes).add(tf.sum(p, axes)).add(smooth);
    const dice = inter.mul(2).add(smooth).div(denom);
    return tf.scalar(1).sub(tf.mean(dice)) as tf.Scalar;
  });
}
