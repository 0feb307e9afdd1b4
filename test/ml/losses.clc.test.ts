import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clcLoss } from '../../src/ml/losses';
import type { ClcSelection } from '../../src/ml/losses';
import { maxGradientError, useWasm } from './lossTestUtils';

// One 4×4 single-channel image cut into 2×2 patches (patch grid 2×2, patch i = (row, col) row-major).
// Each patch flattens in (dy, dx) order, so the pixels below give the patch vectors
//   P0 = (1, 0, 0, 0)    P1 = (0.6, 0.8, 0, 0)    P2 = (0, 0, 1, 0)    P3 = (0.2, 1, 1, 0)
const IMAGE = [
  1, 0, 0.6, 0.8, //
  0, 0, 0, 0, //
  0, 0, 0.2, 1, //
  1, 0, 1, 0, //
];
// Cosines after L2 normalisation (|P3| = √2.04 = 1.4282857):
//   s01 = 0.6, s02 = 0, s03 = 0.2/1.4283 = 0.1400280, s12 = 0, s13 = 0.92/1.4283 = 0.6441288, s23 = 1/1.4283 = 0.7001400
// Patch labels (0, 0, 1, −1): anchors come from {0, 1, 2}; anchor 2 (cluster 1) never has a positive.
const LABELS = [0, 0, 1, -1];

describe('clcLoss (wasm)', () => {
  beforeAll(useWasm);

  it('matches the hand-worked value when every patch is a neighbour (τ = 0.5)', () => {
    // x = s/τ = 2s. Anchor 0: P = {1}, N = {2, 3}; anchor 1: P = {0}, N = {2, 3}; anchor 2: no positive → skipped.
    //   ℓ(0,1) = −log(e^{1.2} / (e^{1.2} + e^{0} + e^{0.2800561}))        = 0.5304727
    //   ℓ(1,0) = −log(e^{1.2} / (e^{1.2} + e^{0} + e^{1.2882577}))        = 0.8727416
    // loss = mean over the 2 valid anchors = 0.7016071
    const f = tf.tensor4d(IMAGE, [1, 4, 4, 1]);
    const sel: ClcSelection = { anchors: [], positives: [], negatives: [] };
    const loss = clcLoss(f, tf.tensor3d(LABELS, [1, 2, 2], 'int32'), { tau: 0.5, topK: 100, anchors: 20, patchSize: 2 }, sel);
    expect(loss.dataSync()[0]).toBeCloseTo(0.7016071, 5);
    expect([...sel.anchors[0]].sort()).toEqual([0, 1, 2]);
  });

  it('keeps only the top-k neighbours (k = 2) and the default τ = 0.1', () => {
    // k = 2 nearest others: anchor 0 → {1 (0.6), 3 (0.14)}: P = {1}, N = {3}
    //                       anchor 1 → {3 (0.644), 0 (0.6)}: P = {0}, N = {3}
    //   ℓ(0,1) = −log(e^{1.2} / (e^{1.2} + e^{0.2800561})) = 0.3354298
    //   ℓ(1,0) = −log(e^{1.2} / (e^{1.2} + e^{1.2882577})) = 0.7382494      → mean 0.5368396
    const f = tf.tensor4d(IMAGE, [1, 4, 4, 1]);
    const labels = Int32Array.from(LABELS);
    expect(clcLoss(f, labels, { tau: 0.5, topK: 2, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.5368396, 5);
    // τ = 0.1, all neighbours: ℓ(0,1) = 0.0124555, ℓ(1,0) = 0.9389081 → 0.4756818
    expect(clcLoss(f, labels, { topK: 100, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.4756818, 4);
  });

  it('flattens patches over (dy, dx, f) and averages over images with a valid anchor', () => {
    // Same image with a second, all-zero feature channel (cosines unchanged), batched with a second image whose
    // four patches share one cluster: it has positives but no negatives, so every ℓ = −log 1 = 0.
    // loss = (0.7016071 + 0) / 2 = 0.3508036
    const two = IMAGE.flatMap((v) => [v, 0]);
    const f = tf.tensor4d([...two, ...two], [2, 4, 4, 2]);
    const labels = Int32Array.from([...LABELS, 3, 3, 3, 3]);
    expect(clcLoss(f, labels, { tau: 0.5, topK: 100, anchors: 3, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.3508036, 5);
    // An image with no foreground patch draws no anchor and does not count: (0.7016071) / 1.
    const none = Int32Array.from([...LABELS, -1, -1, -1, -1]);
    expect(clcLoss(f, none, { tau: 0.5, topK: 100, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.7016071, 5);
  });

  it('returns 0 with a zero gradient when no anchor has a positive', () => {
    const f = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 1);
    const labels = Int32Array.from([0, 1, 2, 3]);
    expect(clcLoss(f, labels, { patchSize: 2 }).dataSync()[0]).toBe(0);
    const g = tf.grad((x: tf.Tensor) => clcLoss(x, labels, { patchSize: 2 }))(f);
    expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBe(0);
  });

  it('draws the same anchors for the same seed, different ones for another seed', () => {
    const f = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 5);
    const labels = Int32Array.from({ length: 2 * 64 }, (_, i) => (i % 5) - 1);
    const draw = (seed: number) => {
      const sel: ClcSelection = { anchors: [], positives: [], negatives: [] };
      clcLoss(f, labels, { patchSize: 2, anchors: 5, topK: 10, seed }, sel);
      return sel.anchors;
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    draw(7).forEach((list, b) => list.forEach((i) => expect(labels[b * 64 + i]).toBeGreaterThanOrEqual(0)));
  });

  it('has gradients w.r.t. the features that agree with finite differences', () => {
    // 2 images of 4×4×3 features, 2×2 patches (4 per image, 12 values each); topK ≥ 3 keeps the neighbourhoods
    // fixed under the perturbation, so the loss is smooth in the features.
    const f = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 9);
    const labels = Int32Array.from([0, 0, 1, 1, 2, 2, 2, 0]);
    const loss = (x: tf.Tensor) => clcLoss(x, labels, { tau: 0.5, topK: 100, anchors: 4, patchSize: 2, seed: 1 });
    expect(maxGradientError(loss, f, 1e-2)).toBeLessThan(5e-3);
  });

  it('rejects bad shapes with messages that name them', () => {
    expect(() => clcLoss(tf.zeros([1, 6, 4, 2]), Int32Array.from([0]), { patchSize: 4 })).toThrow(/\[1, 6, 4, 2\].*divisible by patchSize 4/);
    expect(() => clcLoss(tf.zeros([1, 8, 8, 2]), tf.zeros([1, 2, 3], 'int32'), { patchSize: 4 })).toThrow(
      /patchLabels \[1, 2, 3\] must have shape \[1, 2, 2\]/,
    );
    expect(() => clcLoss(tf.zeros([8, 8, 2]), Int32Array.from([0]))).toThrow(/rank 4/);
  });
});
