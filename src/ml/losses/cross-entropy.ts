/**
 * Pixel-wise categorical cross-entropy on softmax outputs, the term the renal successor code adds to its Tversky loss
 * (lab-midas/Renal-fMRI-Framework @1819882, losses/ft_losses.py lines 19–55, `lossObj.tversky_loss`: `tv_loss + bce_loss` with
 * `SparseCategoricalCrossentropy(from_logits=True)`, unweighted, mean over pixels). method.md ("Fine-tuning
 * dynamics") asks for it as an option: a focal Tversky kidney channel whose softmax has saturated near 0 everywhere
 * gets almost no gradient back through the softmax (∂p/∂z = p(1 − p)), and such a channel stays dead; the
 * cross-entropy's gradient with respect to the logits is p − t, which does not vanish on missed kidney pixels.
 *
 *   CE = −(1 / (B·H·W)) Σ_pixels Σ_c t_c · log(max(p_c, ε)),   ε = 1e-30
 *
 * ε only catches a probability that underflowed to 0 (a logit ~87 below the others in float32). It is that small on
 * purpose: the gradient of a clipped probability is 0, so a larger ε (1e-7, say) would silence exactly the saturated
 * kidney channels this term is for (p ≈ 1e-9 at a logit 20 below the others).
 *
 * Deviation from that code: it feeds the softmax probabilities to a loss that expects logits (`from_logits=True`),
 * i.e. a second softmax; here the probabilities are used as probabilities.
 *
 * Arguments: `yTrue` [B, H, W, C] one-hot, `yPred` [B, H, W, C] softmax probabilities, same shape. Returns a scalar.
 */
import * as tf from '@tensorflow/tfjs';
import { requireRank, requireSameShape } from './validate';

/** Lower clip of the probabilities before the log: only an underflowed 0 (see the header). */
export const CROSS_ENTROPY_EPSILON = 1e-30;

export function crossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  const fn = 'crossEntropy';
  requireRank('yTrue', fn, yTrue, 4, '[B, H, W, C]');
  requireSameShape(fn, 'yTrue', yTrue, 'yPred', yPred);
  return tf.tidy(() => {
    const logP = tf.log(tf.maximum(yPred.toFloat(), CROSS_ENTROPY_EPSILON));
    const perPixel = tf.sum(tf.mul(yTrue.toFloat(), logP), -1);
    return tf.neg(tf.mean(perPixel)) as tf.Scalar;
  });
}
