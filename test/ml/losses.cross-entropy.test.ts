import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, CROSS_ENTROPY_EPSILON, focalTversky } from '../../src/ml/losses';
import { finetuneLoss } from '../../src/ml/train';
import { PRESETS } from '../../src/ml/presets';
import { useWasm } from './loss-test-utils';

// The focal Tversky test's two pixels: pixel 0 truth class 1, prediction (0.2, 0.7, 0.1);
// pixel 1 truth class 0, prediction (0.6, 0.3, 0.1).
const yTrue = () => tf.tensor4d([0, 1, 0, 1, 0, 0], [1, 1, 2, 3]);
const yPred = () => tf.tensor4d([0.2, 0.7, 0.1, 0.6, 0.3, 0.1], [1, 1, 2, 3]);

describe('crossEntropy (wasm)', () => {
  beforeAll(useWasm);

  it('is the mean over pixels of −log p of the true class', () => {
    // (−ln 0.7 − ln 0.6) / 2 = (0.3566749 + 0.5108256) / 2 = 0.4337503
    const loss = crossEntropy(yTrue(), yPred());
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(0.4337503, 5);
  });

  it('stays finite where the true class has probability 0, and its gradient there does not vanish', () => {
    // pixel 0's true class at p = 0 (an underflow): −ln ε; pixel 1 as above
    const dead = tf.tensor4d([0.5, 0, 0.5, 0.6, 0.3, 0.1], [1, 1, 2, 3]);
    expect(crossEntropy(yTrue(), dead).dataSync()[0]).toBeCloseTo((-Math.log(CROSS_ENTROPY_EPSILON) - Math.log(0.6)) / 2, 3);
    // through a softmax: ∂CE/∂z = (p − t)/pixels, so a kidney logit far below the others still gets −1/2 on pixel 0
    const logits = tf.tensor4d([0, -30, 0, 1, 0, 0], [1, 1, 2, 3]);
    const g = tf
      .grad((z: tf.Tensor) => crossEntropy(yTrue(), tf.softmax(z)))(logits)
      .dataSync();
    expect(g[1]).toBeCloseTo(-0.5, 3);
    // the focal Tversky alone gives that logit almost nothing (the saturated softmax): the reason for the option
    const gTversky = tf
      .grad((z: tf.Tensor) => focalTversky(yTrue(), tf.softmax(z)))(logits)
      .dataSync();
    expect(Math.abs(gTversky[1])).toBeLessThan(1e-6);
  });

  it('rejects shapes that do not match', () => {
    expect(() => crossEntropy(yTrue(), tf.zeros([1, 1, 2, 2]))).toThrow(/shape/);
  });

  it('is added to the fine-tuning loss with its weight, and absent at weight 0', () => {
    // the "image" is the logits themselves and the "model" a softmax, so probs = softmax(logits)
    const model = { apply: (x: tf.Tensor) => tf.softmax(x) };
    const logits = tf.tensor4d([0.1, 1.2, -0.5, 0.8, 0.2, -0.3], [1, 1, 2, 3]);
    const labels = tf.tensor3d([1, 0], [1, 1, 2], 'int32');
    const probs = tf.softmax(logits);
    const oneHot = tf.oneHot(labels, 3).toFloat();
    const ft = focalTversky(oneHot, probs).dataSync()[0];
    const ce = crossEntropy(oneHot, probs).dataSync()[0];
    const ctx = { training: false, seed: 1, epoch: 0, batch: 0 };
    const apply = (w: number) =>
      finetuneLoss({ ...PRESETS.PAPER.finetune, crossEntropyWeight: w }, false)(
        model as never,
        { images: logits, labels } as never,
        ctx as never,
      ).dataSync()[0];
    expect(apply(0)).toBeCloseTo(ft, 6);
    expect(apply(0.5)).toBeCloseTo(ft + 0.5 * ce, 6);
  });
});
