import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { augmentPair } from '../../src/ml/augment';
import { initBackend } from '../../src/ml/backend';
import { registerTransformKernel } from '../../src/ml/kernels/transform';
import { PRESETS } from '../../src/ml/presets';
import { createRng } from '../../src/ml/random';
import { nativeBuilt } from './native-support';

// Three 6×5 one-channel images whose pixel value encodes (image, y, x), and a transform per image:
// identity, a shift by +2 px in x (output x reads input x − 2), and a shift by −1 px in y (output y reads input y + 1).
const B = 3;
const H = 6;
const W = 5;
const value = (b: number, y: number, x: number) => 100 * (b + 1) + 10 * y + x;
const image = () =>
  tf.tensor4d(
    Array.from({ length: B * H * W }, (_, i) => value(Math.floor(i / (H * W)), Math.floor(i / W) % H, i % W)),
    [B, H, W, 1],
  );
const transforms = () =>
  tf.tensor2d([
    [1, 0, 0, 0, 1, 0, 0, 0],
    [1, 0, -2, 0, 1, 0, 0, 0],
    [1, 0, 0, 0, 1, 1, 0, 0],
  ]);
const expected = (b: number, y: number, x: number): number => {
  const [iy, ix] = b === 0 ? [y, x] : b === 1 ? [y, x - 2] : [y + 1, x];
  return iy >= 0 && iy < H && ix >= 0 && ix < W ? value(b, iy, ix) : -1;
};

async function on(backend: 'cpu' | 'wasm' | 'native'): Promise<void> {
  if (backend === 'native') await initBackend({ backend: 'native', threads: 1 });
  else await tf.setBackend(backend);
  await tf.ready();
}

describe('Transform kernel (tf.image.transform)', () => {
  it('transforms every image of a batch with its own row on the cpu backend (tfjs 4.22 stops after the first)', async () => {
    await on('cpu');
    registerTransformKernel('cpu');
    for (const interpolation of ['nearest', 'bilinear'] as const) {
      const out = tf.image.transform(image(), transforms(), interpolation, 'constant', -1).dataSync();
      for (let b = 0; b < B; b++)
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(out[(b * H + y) * W + x], `${interpolation} b${b} y${y} x${x}`).toBe(expected(b, y, x));
    }
  });

  it('agrees with the wasm kernel on a fine-tuning augmentation of a batch (cpu, and native where it is built)', async () => {
    const run = () => {
      const imgs = tf.tensor4d(
        Array.from({ length: 8 * 32 * 32 }, (_, i) => Math.sin(i * 0.1) * 0.5 + 0.5),
        [8, 32, 32, 1],
      );
      const labels = tf.tensor3d(
        Array.from({ length: 8 * 32 * 32 }, (_, i) => (((i % 32) - 16) ** 2 + ((Math.floor(i / 32) % 32) - 16) ** 2 < 50 ? 1 : 0)),
        [8, 32, 32],
        'int32',
      );
      const r = augmentPair(imgs, labels, createRng(5), PRESETS.STUDY.finetune.augment);
      return { images: Array.from(r.images.dataSync()), labels: Array.from(r.labels.dataSync()) };
    };
    await on('wasm');
    const reference = run();
    // every image keeps most of its disc (a batch of blanks is the bug)
    for (let b = 0; b < 8; b++) expect(reference.labels.slice(b * 1024, (b + 1) * 1024).filter((l) => l === 1).length).toBeGreaterThan(60);
    const backends: ('cpu' | 'native')[] = nativeBuilt ? ['cpu', 'native'] : ['cpu'];
    for (const backend of backends) {
      await on(backend);
      if (backend === 'cpu') registerTransformKernel('cpu');
      const got = run();
      expect(got.labels, backend).toEqual(reference.labels);
      got.images.forEach((v, i) => expect(Math.abs(v - reference.images[i]), `${backend} pixel ${i}`).toBeLessThan(1e-5));
    }
  });
});
