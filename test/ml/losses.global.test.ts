import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { globalContrastiveLoss } from '../../src/ml/losses';
import { maxGradientError, useWasm } from './loss-test-utils';

describe('globalContrastiveLoss (wasm)', () => {
  beforeAll(useWasm);

  // Four unit embeddings in 2D and partitions (0, 0, 1, 1):
  //   e0 = (1, 0), e1 = (0.6, 0.8), e2 = (0, 1), e3 = (−1, 0)
  // cosines: s01 = 0.6, s02 = 0, s03 = −1, s12 = 0.8, s13 = −0.6, s23 = 0
  // Positive pairs (i, j): (0,1), (1,0), (2,3), (3,2); negatives of 0 and 1 are {2, 3}, of 2 and 3 are {0, 1}.
  const e = () => tf.tensor2d([1, 0, 0.6, 0.8, 0, 1, -1, 0], [4, 2]);
  const parts = [0, 0, 1, 1];

  it('matches the hand-worked value for τ = 0.5', () => {
    // x = s/τ = 2s.  ℓ(i,j) = −log(e^{x_ij} / (e^{x_ij} + Σ_n e^{x_in}))
    //   ℓ(0,1) = −log(e^{1.2} / (e^{1.2} + e^{0}   + e^{−2}))  = 0.2941286
    //   ℓ(1,0) = −log(e^{1.2} / (e^{1.2} + e^{1.6} + e^{−1.2})) = 0.9487744
    //   ℓ(2,3) = −log(e^{0}   / (e^{0}   + e^{0}   + e^{1.6}))  = 1.9391779
    //   ℓ(3,2) = −log(e^{0}   / (e^{0}   + e^{−2}  + e^{−1.2})) = 0.3622301
    // loss = mean = 0.8860778
    expect(globalContrastiveLoss(e(), parts, { tau: 0.5 }).dataSync()[0]).toBeCloseTo(0.8860778, 5);
  });

  it('defaults to τ = 0.1 and scales rows before the cosine', () => {
    // x = 10s: ℓ = (0.0024758, 2.1269287, 8.0006707, 0.0025210) → mean 2.5331491; scaling a row changes nothing.
    const scaled = tf.tensor2d([3, 0, 0.6, 0.8, 0, 2, -5, 0], [4, 2]);
    expect(globalContrastiveLoss(scaled, Int32Array.from(parts)).dataSync()[0]).toBeCloseTo(2.5331491, 4);
  });

  it('has gradients that agree with finite differences', () => {
    // 2 volumes × 2 partitions × (slice + 2 views) = 12 rows of 5-dim embeddings, τ = 0.5.
    const partitions = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    const x = tf.randomNormal([12, 5], 0, 1, 'float32', 3);
    expect(maxGradientError((v) => globalContrastiveLoss(v, partitions, { tau: 0.5 }), x, 1e-2)).toBeLessThan(5e-3);
  });

  it('rejects bad inputs with messages that name the shapes', () => {
    expect(() => globalContrastiveLoss(tf.zeros([4, 2]), [0, 1, 2])).toThrow(/3 ids, expected 4.*\[4, 2\]/);
    expect(() => globalContrastiveLoss(tf.zeros([4]), [0, 0, 1, 1])).toThrow(/rank 2.*\[4\]/);
    expect(() => globalContrastiveLoss(tf.ones([3, 2]), [0, 1, 2])).toThrow(/no positive pair/);
  });
});
