import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { GroupNorm, groupNorm, groupNormOps } from '../../src/ml/layers/group-norm';
import { mulberry32 } from '../../src/ml/random';

/** Group norm written out with loops over a flat NHWC array: the reference. */
function handGroupNorm(x: Float32Array, [b, h, w, c]: number[], groups: number, gamma: number[], beta: number[], eps: number) {
  const out = new Float32Array(x.length);
  const cg = c / groups;
  for (let n = 0; n < b; n++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let p = 0; p < h * w; p++) for (let k = 0; k < cg; k++) idx.push((n * h * w + p) * c + g * cg + k);
      const mean = idx.reduce((s, i) => s + x[i], 0) / idx.length;
      const variance = idx.reduce((s, i) => s + (x[i] - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const ch = i % c;
        out[i] = ((x[i] - mean) / Math.sqrt(variance + eps)) * gamma[ch] + beta[ch];
      }
    }
  }
  return out;
}

describe('GroupNorm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('matches a hand computation on a tiny case', () => {
    // One sample, 1×2 pixels, 4 channels, 2 groups: group 0 holds channels {0,1} of both pixels = {1,2,3,5},
    // mean 2.75, variance ((1.75)² + (0.75)² + (0.25)² + (2.25)²)/4 = 2.1875; group 1 = {0,0,4,4}: mean 2, var 4.
    const x = tf.tensor4d([1, 2, 0, 0, 3, 5, 4, 4], [1, 1, 2, 4]);
    const y = groupNorm(x, tf.ones([4]), tf.zeros([4]), 2, 0).dataSync();
    const s = Math.sqrt(2.1875);
    const expected = [-1.75 / s, -0.75 / s, -1, -1, 0.25 / s, 2.25 / s, 1, 1];
    expected.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });

  it('layer output equals the loop reference with gamma/beta', () => {
    const shape = [2, 3, 3, 8];
    const rng = mulberry32(3);
    const x = Float32Array.from({ length: 2 * 3 * 3 * 8 }, () => rng() * 4 - 1);
    const layer = new GroupNorm({ groups: 2, epsilon: 1e-5 });
    layer.build(shape);
    const gamma = Array.from({ length: 8 }, (_, i) => 0.5 + i * 0.1);
    const beta = Array.from({ length: 8 }, (_, i) => i * 0.01 - 0.03);
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta)]);
    const y = (layer.apply(tf.tensor(x, shape)) as tf.Tensor).dataSync();
    const ref = handGroupNorm(x, shape, 2, gamma, beta, 1e-5);
    ref.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 4));
  });

  it.each([
    ['wasm kernel', false],
    ['wasm kernel + relu', true],
  ])('%s: gradient equals autodiff of the plain formula', (_label, relu) => {
    const shape = [2, 2, 3, 6];
    const rng = mulberry32(5);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
    const x = tf.tensor(rand(72), shape);
    const gamma = tf.tensor1d(rand(6));
    const beta = tf.tensor1d(rand(6));
    const proj = tf.tensor(rand(72), shape);
    const plain = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const r = tf.reshape(a, [2, 6, 3, 2]);
      const { mean, variance } = tf.moments(r, [1, 3], true);
      return tf.add(tf.mul(tf.reshape(tf.div(tf.sub(r, mean), tf.sqrt(tf.add(variance, 1e-5))), shape), g), b);
    };
    const loss = (f: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), proj));
    const act = (t: tf.Tensor) => (relu ? tf.relu(t) : t);
    const ref = tf.grads(loss((a, g, b) => act(plain(a, g, b))))([x, gamma, beta]);
    const kernel = tf.grads(loss((a, g, b) => groupNorm(a, g, b, 3, 1e-5, relu as boolean)))([x, gamma, beta]);
    const ops = tf.grads(loss((a, g, b) => act(groupNormOps(a, g, b, 3, 1e-5))))([x, gamma, beta]);
    const value = groupNorm(x, gamma, beta, 3, 1e-5, relu as boolean).dataSync();
    act(plain(x, gamma, beta))
      .dataSync()
      .forEach((v, i) => expect(value[i]).toBeCloseTo(v, 5));
    for (const ours of [kernel, ops]) {
      ours.forEach((t, k) => {
        const a = t.dataSync();
        const r = ref[k].dataSync();
        r.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 4));
      });
    }
  });

  it('γ and β gradients alone (x constant) equal those of the full gradient', () => {
    const rng = mulberry32(11);
    const x = tf.tensor(
      Float32Array.from({ length: 2 * 3 * 3 * 4 }, () => rng() - 0.5),
      [2, 3, 3, 4],
    );
    const gamma = tf.tensor1d([1, 0.5, 2, 1.5]);
    const beta = tf.tensor1d([0.1, -0.2, 0, 0.3]);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(groupNorm(a, g, b, 2, 1e-5, true), tf.range(0, 72).reshape([2, 3, 3, 4])));
    const all = tf.grads(f)([x, gamma, beta]);
    const params = tf.grads((g: tf.Tensor, b: tf.Tensor) => f(x, g, b))([gamma, beta]);
    params.forEach((t, k) => t.dataSync().forEach((v, i) => expect(v).toBeCloseTo(all[k + 1].dataSync()[i], 4)));
  });

  it('cpu kernel equals the wasm kernel', async () => {
    const rng = mulberry32(9);
    const vals = Float32Array.from({ length: 2 * 4 * 4 * 8 }, () => rng() * 3 - 1);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(vals, [2, 4, 4, 8]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(groupNorm(a, tf.fill([8], 1.3), tf.fill([8], 0.1), 4, 1e-5, true))))(x);
        return Array.from(g.dataSync());
      });
    };
    const w = await run('wasm');
    const c = await run('cpu');
    await tf.setBackend('wasm');
    c.forEach((v, i) => expect(w[i]).toBeCloseTo(v, 5));
  });

  it('serialises through a model config', () => {
    const input = tf.input({ shape: [4, 4, 8] });
    const out = new GroupNorm({ groups: 4, name: 'gn' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const json = model.toJSON(undefined, false) as unknown as tf.serialization.ConfigDict;
    const copy = (tf.models.modelFromJSON as unknown as (c: unknown) => Promise<tf.LayersModel>)({ modelTopology: json });
    return copy.then((m) => {
      const layer = m.getLayer('gn') as GroupNorm;
      expect(layer).toBeInstanceOf(GroupNorm);
      expect(layer.groups).toBe(4);
    });
  });
});
