import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { groupNorm } from '../../src/ml/layers/group-norm';
import { compareWithCpu, expectStepFreesAll, input, randomValues, type Input } from './kernel-compare';
import { describeNative } from './native-support';

const compare = (f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], grads = true) => compareWithCpu('native', f, inputs, grads);

/** The kernels that ran while f ran (the profiler's names, ops left out). */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => f());
  return info.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'));
}

describeNative('native kernels against the cpu backend', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'native', threads: 1 });
    expect(info.device).toMatch(/^native-aten1\.13\.\d+-onednn\d+\.\d+\.\d+-1t$/);
  });

  it('conv2d 3×3 same, 1×1, valid, strided and dilated, with their gradients', async () => {
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [input([2, 7, 6, 3], 1), input([3, 3, 3, 4], 2)]);
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [input([3, 4, 4, 5], 5), input([1, 1, 5, 2], 6)]);
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), [input([2, 6, 5, 2], 3), input([3, 3, 2, 3], 4)]);
    // Odd size, stride 2, 'same': asymmetric padding goes to the cpu kernels; 'valid' stays native.
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), [input([2, 8, 7, 2], 7), input([3, 3, 2, 3], 8)]);
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'), [input([2, 9, 7, 2], 9), input([3, 3, 2, 3], 10)]);
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2), [input([1, 9, 8, 2], 11), input([3, 3, 2, 2], 12)], false);
  });

  it("fused conv2d with bias and ReLU (the layers' conv) and its gradients", async () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' });
    await compare(f, [input([2, 6, 6, 3], 13), input([3, 3, 3, 4], 14), input([4], 15)]);
    const [x, w, b] = [input([2, 6, 6, 3], 13), input([3, 3, 3, 4], 14), input([4], 15)].map((i) => tf.tensor(i.values, i.shape));
    expect(await kernelsOf(() => f(x, w, b))).toEqual(['FusedConv2D']);
    tf.dispose([x, w, b]);
  });

  it("conv2dTranspose 2×2 stride 2 (the U-Net's up-sampling) and 3×3 stride 1, with gradients", async () => {
    await compare(
      (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 6, 8, 3], 2, 'same'),
      [input([2, 3, 4, 5], 16), input([2, 2, 3, 5], 17)],
    );
    await compare(
      (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 5, 5, 2], 1, 'same'),
      [input([1, 5, 5, 3], 18), input([3, 3, 2, 3], 19)],
    );
  });

  it('max pooling 2×2 and its gradient, ties after a ReLU included', async () => {
    await compare((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), [input([2, 6, 8, 3], 20)]);
    await compare((x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, 'valid'), [input([2, 6, 8, 3], 21)]);
    await compare((x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'), [input([1, 5, 5, 2], 22)]);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('batched matMul, transposeA=%s transposeB=%s, broadcasting, fused bias + ReLU, and gradients', async (ta, tb) => {
    const shapeA = (batch: number[]) => [...batch, ...(ta ? [5, 3] : [3, 5])];
    const shapeB = (batch: number[]) => [...batch, ...(tb ? [4, 5] : [5, 4])];
    await compare((x, y) => tf.matMul(x, y, ta, tb), [input(shapeA([3]), 31), input(shapeB([3]), 32)]);
    await compare((x, y) => tf.matMul(x, y, ta, tb), [input(shapeA([1]), 33), input(shapeB([2]), 34)], false);
    await compare((x, y) => tf.matMul(x, y, ta, tb), [input(shapeA([]), 35), input(shapeB([]), 36)]);
    await compare(
      (x, y, b) => tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias: b, activation: 'relu' }),
      [input(shapeA([]), 37), input(shapeB([]), 38), input([4], 39)],
    );
  });

  it('GroupNorm (+ReLU) forward and its x, γ and β gradients, NHWC and [B, C]', async () => {
    for (const relu of [false, true]) {
      const gn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNorm(x, g, b, 2, 1e-5, relu);
      await compare(gn, [input([3, 5, 4, 6], 40), input([6], 41), input([6], 42)]);
      await compare(gn, [input([4, 8], 43), input([8], 44), input([8], 45)]);
    }
    // γ, β alone (x a constant): the params kernel.
    const x = tf.tensor(input([2, 4, 4, 4], 46).values, [2, 4, 4, 4]);
    await compare((g, b) => groupNorm(x, g, b, 2, 1e-5, true), [input([4], 47), input([4], 48)]);
    x.dispose();
  });

  it('element-wise ops with broadcasting, unary ops, reductions, softmax', async () => {
    const big = [4, 9, 8];
    for (const op of [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum, tf.squaredDifference]) {
      // tfjs's gradients of maximum, minimum and squaredDifference do not reduce a broadcast input on any backend.
      const broadcastGrads = [tf.add, tf.sub, tf.mul, tf.div].includes(op);
      await compare((a, b) => op(a, b), [input(big, 50), input(big, 51)]);
      await compare((a, b) => op(a, b), [input(big, 52), input([8], 53)], broadcastGrads);
      await compare((a, b) => op(a, b), [input([4, 1, 8], 54), input([9, 1], 55)], broadcastGrads);
      await compare((a) => op(a, tf.scalar(0.7)), [input(big, 56)]);
    }
    const positive = (x: tf.Tensor) => tf.add(tf.abs(x), 0.1);
    for (const op of [tf.sqrt, tf.log, tf.rsqrt, tf.reciprocal]) await compare((x) => op(positive(x)), [input(big, 57)]);
    for (const op of [tf.square, tf.exp, tf.neg, tf.relu, tf.sigmoid]) await compare((x) => op(x), [input(big, 58)]);
    for (const axis of [0, [1, 2], -1]) {
      for (const keep of [false, true]) {
        await compare((x) => tf.sum(x, axis, keep), [input(big, 59)]);
        await compare((x) => tf.mean(x, axis, keep), [input(big, 60)]);
        await compare((x) => tf.max(x, axis, keep), [input(big, 61)]);
        await compare((x) => tf.min(x, axis, keep), [input(big, 62)]);
      }
    }
    await compare((x) => tf.softmax(x), [input([16, 20, 3], 63)]);
  });

  it('transpose, strided slices, splits and concatenation along any axis', async () => {
    await compare((x) => tf.transpose(x, [2, 0, 1, 3]), [input([3, 4, 5, 6], 70)]);
    await compare((x) => tf.slice(x, [1, 0, 2, 1], [2, 4, 3, 4]), [input([3, 4, 5, 6], 71)]);
    await compare((x) => tf.slice(x, [1, 0], [2, 4]), [input([4, 200], 72)]); // contiguous: the cpu backend's view
    for (const axis of [0, 1, 3]) {
      await compare(
        (x) =>
          tf.concat(
            tf
              .split(
                x,
                [1, 2, 3].map((n) => (n * x.shape[axis]) / 6),
                axis,
              )
              .reverse(),
            axis,
          ),
        [input([6, 6, 5, 6], 73)],
      );
    }
  });

  it('reuses freed outputs, but never an array JavaScript still holds or a tensor still views', async () => {
    const n = 8192;
    const x = tf.tensor(randomValues(n, 80), [n]);
    const storage = (t: tf.Tensor) => (tf.engine().backend as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(t.dataId).values;
    const expected = Float32Array.from(x.dataSync(), Math.exp);
    const close = (a: Float32Array | number[], b: Float32Array) => b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    // Freed: the next output of that size gets the same array.
    const first = tf.exp(x);
    const array = storage(first);
    first.dispose();
    const second = tf.exp(x);
    expect(storage(second)).toBe(array);
    // Read by dataSync (the array itself on this backend), then freed: never handed out again.
    const held = second.dataSync() as Float32Array;
    second.dispose();
    tf.dispose([tf.exp(tf.neg(x)), tf.exp(tf.neg(x))]);
    close(held, expected);
    // Viewed by a contiguous slice (a subarray of it), then freed: the view keeps its values.
    const third = tf.exp(x);
    const view = tf.slice(third, [n / 2], [n / 2]);
    third.dispose();
    tf.dispose([tf.exp(tf.neg(x)), tf.exp(tf.neg(x))]);
    close(view.dataSync() as Float32Array, expected.subarray(n / 2));
    tf.dispose([x, view]);
  });

  it('frees every intermediate', async () => {
    const x = tf.tensor(randomValues(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.tensor(randomValues(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]) as tf.Tensor4D;
    const up = tf.tensor(randomValues(2 * 2 * 5 * 4, 3), [2, 2, 5, 4]) as tf.Tensor4D;
    const step = () =>
      tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.conv2dTranspose(tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'), c as tf.Tensor4D, [2, 8, 8, 5], 2, 'same'),
          ),
        )([x, w, up]);
        g.forEach((t) => t.dataSync());
      });
    expectStepFreesAll(step);
    tf.dispose([x, w, up]);
  });
});
