import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { focalTversky, softDice } from '../../src/ml/losses';
import { FOCAL_TVERSKY_EPSILON } from '../../src/ml/losses/focal-tversky';
import { maxGradientError, useWasm } from './loss-test-utils';

// Two pixels (B = 1, H = 1, W = 2), three classes (background, right, left).
//   pixel 0: truth class 1, prediction (0.2, 0.7, 0.1)
//   pixel 1: truth class 0, prediction (0.6, 0.3, 0.1)
const yTrue = () => tf.tensor4d([0, 1, 0, 1, 0, 0], [1, 1, 2, 3]);
const yPred = () => tf.tensor4d([0.2, 0.7, 0.1, 0.6, 0.3, 0.1], [1, 1, 2, 3]);

describe('focalTversky (wasm)', () => {
  beforeAll(useWasm);

  it('matches the hand-worked value with the paper defaults', () => {
    // Soft counts per class c (sum over the two pixels):
    //   TP = Σ t·p          = (0.6, 0.7, 0.0)
    //   FN = Σ t·(1 − p)    = (0.4, 0.3, 0.0)
    //   FP = Σ (1 − t)·p    = (0.2, 0.3, 0.2)
    // α = (0.5, 0.7, 0.7), s = 1:
    //   TI_0 = 1.6 / (0.6 + 0.5·0.4 + 0.5·0.2 + 1) = 1.6 / 1.9  → 1 − TI_0 = 0.3/1.9  = 0.1578947368
    //   TI_1 = 1.7 / (0.7 + 0.7·0.3 + 0.3·0.3 + 1) = 1.7 / 2.0  → 1 − TI_1 = 0.15
    //   TI_2 = 1.0 / (0   + 0         + 0.3·0.2 + 1) = 1 / 1.06 → 1 − TI_2 = 0.06/1.06 = 0.0566037736
    // (1 − TI)^(3/4) = (0.2504815, 0.2410285, 0.1160470); w = (0.1, 1, 1)
    // loss = 0.1·0.2504815 + 0.2410285 + 0.1160470 = 0.3821237
    const loss = focalTversky(yTrue(), yPred());
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(0.3821237, 5);
  });

  it('uses the options it is given', () => {
    // α = 0.5 everywhere, w = 1, γ = 1, s = 0: loss = Σ_c (1 − TI_c) with TI_c = TP / (TP + ½FN + ½FP)
    //   TI = (0.6/0.9, 0.7/1.0, 0/0.1) = (0.6667, 0.7, 0) → loss = 0.3333 + 0.3 + 1 = 1.6333333
    const loss = focalTversky(yTrue(), yPred(), { alpha: [0.5, 0.5, 0.5], weights: [1, 1, 1], gamma: 1, smooth: 0 });
    expect(loss.dataSync()[0]).toBeCloseTo(1.6333333, 5);
  });

  it('clips 1 − TI at epsilon: a perfect prediction gives a finite loss and gradient', () => {
    const t = yTrue();
    const perfect = (p: tf.Tensor) => focalTversky(t, p);
    const value = perfect(t).dataSync()[0];
    // each class: w_c · ε^(3/4); Σ w = 2.1
    expect(value).toBeCloseTo(2.1 * Math.pow(FOCAL_TVERSKY_EPSILON, 0.75), 8);
    const g = tf.grad(perfect)(t).dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });

  it('has gradients that agree with finite differences', () => {
    // Random softmax over logits so the check runs in the interior of the simplex; the loss is taken w.r.t. the
    // logits, so the check covers the softmax gradient the training loop will use too.
    const t = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 0], 'int32'), 3).reshape([2, 2, 2, 3]);
    const logits = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 7);
    const err = maxGradientError((x) => focalTversky(t, tf.softmax(x)), logits);
    expect(err).toBeLessThan(5e-3);
  });

  it('rejects mismatched shapes and option lengths with messages that name the shapes', () => {
    expect(() => focalTversky(tf.zeros([1, 2, 2, 3]), tf.zeros([1, 2, 2, 2]))).toThrow(/\[1, 2, 2, 3\].*\[1, 2, 2, 2\]/);
    expect(() => focalTversky(tf.zeros([2, 2, 3]), tf.zeros([2, 2, 3]))).toThrow(/rank 4.*\[2, 2, 3\]/);
    expect(() => focalTversky(tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 2, 2]))).toThrow(/alpha must hold 2 values/);
  });
});

describe('softDice (wasm)', () => {
  beforeAll(useWasm);

  it('matches the hand-worked value', () => {
    // Same two pixels, s = 1:  D_c = (2·TP + 1) / (Σt + Σp + 1)
    //   D_0 = (1.2 + 1) / (1 + 0.8 + 1) = 2.2/2.8 = 0.7857143
    //   D_1 = (1.4 + 1) / (1 + 1.0 + 1) = 2.4/3.0 = 0.8
    //   D_2 = (0   + 1) / (0 + 0.2 + 1) = 1/1.2   = 0.8333333
    // loss = 1 − mean = 1 − 0.8063492 = 0.1936508
    expect(softDice(yTrue(), yPred()).dataSync()[0]).toBeCloseTo(0.1936508, 5);
    // s = 0: D = (1.2/1.8, 1.4/2, 0/0.2) = (0.6667, 0.7, 0) → loss = 1 − 0.4555556 = 0.5444444
    expect(softDice(yTrue(), yPred(), { smooth: 0 }).dataSync()[0]).toBeCloseTo(0.5444444, 5);
  });

  it('has gradients that agree with finite differences', () => {
    const t = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 0], 'int32'), 3).reshape([2, 2, 2, 3]);
    const logits = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 11);
    expect(maxGradientError((x) => softDice(t, tf.softmax(x)), logits)).toBeLessThan(5e-3);
  });

  it('rejects mismatched shapes', () => {
    expect(() => softDice(tf.zeros([1, 2, 2, 3]), tf.zeros([1, 2, 3, 3]))).toThrow(/\[1, 2, 2, 3\].*\[1, 2, 3, 3\]/);
  });
});
