import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { setColumnBudget } from '../../src/ml/kernels/conv2d-backprop-filter';
import { compareWithCpu, expectStepFreesAll, input, randomValues, type Input } from './kernel-compare';

const compare = (f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[]) => compareWithCpu('wasm', f, inputs);

describe('wasm training kernels against the cpu backend', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info.device).toMatch(/^wasm-/);
  });

  it('conv2d 3×3 stride 1 same (filter grad via framed im2col + matmul, input grad via flipped-filter conv)', async () => {
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [input([2, 7, 6, 3], 1), input([3, 3, 3, 4], 2)]);
  });

  it('conv2d filter gradient in batch chunks equals the one-shot result', async () => {
    const previous = setColumnBudget(2 * 3 * 3 * 3 * 8 * 7); // two samples per chunk, the last chunk of one
    try {
      await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [input([5, 6, 5, 3], 21), input([3, 3, 3, 2], 22)]);
    } finally {
      setColumnBudget(previous);
    }
  });

  it('conv2d 3×3 stride 1 valid and 1×1', async () => {
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), [input([2, 6, 5, 2], 3), input([3, 3, 2, 3], 4)]);
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [input([3, 4, 4, 5], 5), input([1, 1, 5, 2], 6)]);
  });

  it('conv2d 3×3 stride 2 same (dilated-filter conv; input grad falls back to wasm)', async () => {
    await compare((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), [input([2, 8, 7, 2], 7), input([3, 3, 2, 3], 8)]);
  });

  it('conv2dTranspose 2×2 stride 2 (matmul + DepthToSpace) and its gradients', async () => {
    await compare((x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 6, 8, 3], 2, 'same'), [input([2, 3, 4, 5], 9), input([2, 2, 3, 5], 10)]);
  });

  it('conv2dTranspose 3×3 stride 1 same', async () => {
    await compare(
      (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 5, 5, 2], 1, 'same'),
      [input([1, 5, 5, 3], 11), input([3, 3, 2, 3], 12)],
    );
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('batched matMul, transposeA=%s transposeB=%s, with broadcasting, and its gradients', async (ta, tb) => {
    const shapeA = (batch: number[]) => [...batch, ...(ta ? [5, 3] : [3, 5])];
    const shapeB = (batch: number[]) => [...batch, ...(tb ? [4, 5] : [5, 4])];
    const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
    await compare(mm, [input(shapeA([3]), 31), input(shapeB([3]), 32)]);
    // Broadcasting a batch of 1 (value only: tfjs has no gradient for broadcast matMul on any backend).
    const va = input(shapeA([1]), 33);
    const vb = input(shapeB([2]), 34);
    const value = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => Array.from(mm(tf.tensor(va.values, va.shape), tf.tensor(vb.values, vb.shape)).dataSync()));
    };
    const w = await value('wasm');
    const c = await value('cpu');
    await tf.setBackend('wasm');
    c.forEach((v, i) => expect(w[i]).toBeCloseTo(v, 4));
    await compare(mm, [input(shapeA([]), 35), input(shapeB([]), 36)]);
    // A large, lopsided case where the swapped plan (transposing the small operands) wins.
    await compare((x, y) => tf.matMul(x, y, false, true), [input([2, 40], 37), input([300, 40], 38)]);
  });

  it('gather gradient (UnsortedSegmentSum)', async () => {
    const idx = [3, 0, 3, 1, 4];
    await compare((x) => tf.gather(x, tf.tensor1d(idx, 'int32')), [input([6, 4], 13)]);
    await compare((x) => tf.gather(x, tf.tensor1d([1, 0, 1], 'int32'), 1), [input([2, 3, 2], 14)]);
  });

  it('frees every intermediate', async () => {
    const x = tf.tensor(randomValues(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.tensor(randomValues(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]) as tf.Tensor4D;
    const up = tf.tensor(randomValues(2 * 2 * 5 * 4, 3), [2, 2, 5, 4]) as tf.Tensor4D;
    const step = () =>
      tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.conv2dTranspose(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), c as tf.Tensor4D, [2, 16, 16, 5], 2, 'same')),
        )([x, w, up]);
        g.forEach((t) => t.dataSync());
      });
    expectStepFreesAll(step);
    tf.dispose([x, w, up]);
  });
});
