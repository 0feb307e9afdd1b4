import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clcLoss } from '../../src/ml/losses';
import { drawAnchors, type ClcSelection } from '../../src/ml/losses';
import { createRng } from '../../src/ml/random';
import { maxGradientError, useWasm } from './loss-test-utils';

// One 4×4 single-channel image cut into 2×2 patches (patch grid 2×2, patch i = (row, col) row-major).
// Each patch flattens in (dy, dx) order, so the pixels below give the patch vectors
//   P0 = (1, 0, 0, 0)    P1 = (0.6, 0.8, 0, 0)    P2 = (0, 0, 1, 0)    P3 = (0.2, 1, 1, 0)
const IMAGE = [
  1,
  0,
  0.6,
  0.8, //
  0,
  0,
  0,
  0, //
  0,
  0,
  0.2,
  1, //
  1,
  0,
  1,
  0, //
];
// Cosines after L2 normalisation (|P3| = √2.04 = 1.4282857):
//   s01 = 0.6, s02 = 0, s03 = 0.2/1.4283 = 0.1400280, s12 = 0, s13 = 0.92/1.4283 = 0.6441288, s23 = 1/1.4283 = 0.7001400
// Patch labels (0, 0, 1, −1): anchors come from {0, 1, 2} (label −1 is never an anchor, always a negative).
const LABELS = [0, 0, 1, -1];

describe('clcLoss (wasm), the reference semantics', () => {
  beforeAll(useWasm);

  it('puts the anchor in its own neighbourhood and among its positives (τ = 0.5, every patch a neighbour)', () => {
    // x = s/τ = 2s, so x_aa = 2. ℓ(a, p) = −log(e^{x_p} / (e^{x_p} + Σ_n e^{x_n}) + 1e−7).
    // Anchor 0: T = {0, 1, 3, 2}, P = {0, 1}, N = {2, 3} (x = 0, 0.2800561):
    //   ℓ(0,0) = −log(e^2 / (e^2 + e^0 + e^0.2800561) + 1e−7)     = 0.2733889
    //   ℓ(0,1) = −log(e^1.2 / (e^1.2 + e^0 + e^0.2800561) + 1e−7) = 0.5304725      → mean 0.4019307
    // Anchor 1: P = {1, 0}, N = {2 (x 0), 3 (x 1.2882577)}: ℓ(1,1) = 0.4861989, ℓ(1,0) = 0.8727413 → 0.6794701
    // Anchor 2 (cluster 1, no other positive — the old loss skipped it): P = {2}, N = {0, 1, 3} (x 0, 0, 1.40028):
    //   ℓ(2,2) = −log(e^2 / (e^2 + 1 + 1 + e^1.40028) + 1e−7) = 0.5986363
    // loss = (0.4019307 + 0.6794701 + 0.5986363) / 3 = 0.5600124
    const f = tf.tensor4d(IMAGE, [1, 4, 4, 1]);
    const sel: ClcSelection = { anchors: [], positives: [], negatives: [] };
    const loss = clcLoss(f, tf.tensor3d(LABELS, [1, 2, 2], 'int32'), { tau: 0.5, topK: 100, anchors: 20, patchSize: 2 }, sel);
    expect(loss.dataSync()[0]).toBeCloseTo(0.5600124, 5);
    const byAnchor = new Map(sel.anchors[0].map((a, i) => [a, [sel.positives[0][i], sel.negatives[0][i]]]));
    expect(Object.fromEntries(byAnchor)).toEqual({ 0: [2, 2], 1: [2, 2], 2: [1, 3] });
  });

  it('takes the top-(k+1) neighbourhood, the anchor included (k = 2), and the default τ = 0.1', () => {
    // k = 2 most similar others: anchor 0 → {1 (0.6), 3 (0.14)}: T = {0, 1, 3}, P = {0, 1}, N = {3}
    //   ℓ(0,0) = −log(e^2 / (e^2 + e^0.2800561) + 1e−7) = 0.1647311, ℓ(0,1) = 0.3354297     → 0.2500804
    // anchor 1 → {3 (0.644), 0 (0.6)}: P = {1, 0}, N = {3}: ℓ(1,1) = 0.3993049, ℓ(1,0) = 0.7382492 → 0.5687770
    // anchor 2 → {3 (0.70), 0 (0)}: P = {2}, N = {3, 0}: ℓ(2,2) = −log(e^2/(e^2 + e^1.40028 + 1) + 1e−7) = 0.5213503
    // loss = 0.4467359
    const f = tf.tensor4d(IMAGE, [1, 4, 4, 1]);
    const labels = Int32Array.from(LABELS);
    expect(clcLoss(f, labels, { tau: 0.5, topK: 2, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.4467359, 5);
    // τ = 0.1, every patch: anchor means 0.0063424, 0.4835147, 0.0487402 → 0.1795325
    expect(clcLoss(f, labels, { topK: 100, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.1795325, 4);
  });

  it('flattens patches over (dy, dx, f) and averages over the images that drew anchors', () => {
    // Same image with a second, all-zero feature channel (cosines unchanged), batched with a second image whose
    // four patches share one cluster: no negatives, so every ℓ = −log(1 + 1e−7) ≈ −1e−7 (the ε is inside the log).
    // loss = (0.5600124 − 1e−7) / 2 = 0.2800061
    const two = IMAGE.flatMap((v) => [v, 0]);
    const f = tf.tensor4d([...two, ...two], [2, 4, 4, 2]);
    const labels = Int32Array.from([...LABELS, 3, 3, 3, 3]);
    expect(clcLoss(f, labels, { tau: 0.5, topK: 100, anchors: 3, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.2800061, 5);
    // An image without an anchor candidate draws no anchor and does not count: 0.5600124 / 1.
    const none = Int32Array.from([...LABELS, -1, -1, -1, -1]);
    expect(clcLoss(f, none, { tau: 0.5, topK: 100, patchSize: 2 }).dataSync()[0]).toBeCloseTo(0.5600124, 5);
    // The same through anchorCandidates: the second image's patches have labels but lie outside the body.
    const candidates = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(clcLoss(f, labels, { tau: 0.5, topK: 100, patchSize: 2, anchorCandidates: candidates }).dataSync()[0]).toBeCloseTo(0.5600124, 5);
  });

  it('draws anchors only among the candidates, and counts an anchor whose only positive is itself', () => {
    // Only patch 2 may be an anchor: loss = ℓ(2,2) = 0.5986363 (non-zero: it pushes 0, 1 and 3 away).
    const f = tf.tensor4d(IMAGE, [1, 4, 4, 1]);
    const sel: ClcSelection = { anchors: [], positives: [], negatives: [] };
    const loss = clcLoss(f, Int32Array.from(LABELS), { tau: 0.5, patchSize: 2, anchorCandidates: Uint8Array.from([0, 0, 1, 1]) }, sel);
    expect(loss.dataSync()[0]).toBeCloseTo(0.5986363, 5);
    expect(sel.anchors).toEqual([[2]]);
    const g = tf.grad((x: tf.Tensor) => clcLoss(x, Int32Array.from(LABELS), { tau: 0.5, patchSize: 2, anchorCandidates: Uint8Array.from([0, 0, 1, 1]) }))(f);
    expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBeGreaterThan(0);
  });

  it('returns 0 with a zero gradient when no patch can be an anchor', () => {
    const f = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 1);
    const labels = Int32Array.from([-1, -1, -1, -1]);
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

describe('drawAnchors', () => {
  // 100 patches: cluster 0 covers 94 of them, clusters 1, 2 and 3 two each (a small organ); 4 patches lie outside
  // the body (candidates 0) and 2 have no cluster.
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 2 ? 1 : i < 4 ? 2 : i < 6 ? 3 : i < 8 ? -1 : 0));
  const candidates = Uint8Array.from({ length: 100 }, (_, i) => (i >= 96 ? 0 : 1));

  it('UNIFORM draws distinct candidates only', () => {
    const a = drawAnchors(labels, candidates, 20, 'UNIFORM', createRng(3));
    expect(new Set(a).size).toBe(20);
    a.forEach((i) => expect(labels[i] >= 0 && candidates[i] === 1).toBe(true));
    expect(drawAnchors(labels, candidates, 500, 'UNIFORM', createRng(3))).toHaveLength(94); // 100 − 4 outside the body − 2 unlabelled
  });

  it('STRATIFIED gives every cluster its share, round-robin, and all candidates when asked for more', () => {
    const a = drawAnchors(labels, candidates, 8, 'STRATIFIED', createRng(5));
    const per = (c: number) => a.filter((i) => labels[i] === c).length;
    // 4 clusters × 2 rounds: each cluster 2 anchors, although clusters 1–3 are 2 % of the candidates each.
    expect([per(0), per(1), per(2), per(3)]).toEqual([2, 2, 2, 2]);
    expect(new Set(a).size).toBe(8);
    const all = drawAnchors(labels, candidates, 1000, 'STRATIFIED', createRng(5));
    expect(all).toHaveLength(94);
    expect(new Set(all).size).toBe(94);
    expect(drawAnchors(labels, candidates, 9, 'STRATIFIED', createRng(5)).filter((i) => labels[i] === 0)).toHaveLength(3);
  });
});
