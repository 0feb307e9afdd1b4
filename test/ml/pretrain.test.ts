import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { PRESETS } from '../../src/ml/presets';
import { Trainer, clcLossFn, globalLoss, type ClcBatch, type GlobalBatch } from '../../src/ml/train';
import { buildGlobalPretrainModel, buildLocalPretrainModel } from '../../src/ml/unet';
import { loadEncoderDecoder } from '../../src/ml/weights';
import { discBatch } from './toy-data';

const S = PRESETS.SMOKE;
const SIZE = 32;

describe('pretraining loops', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('global warm-up then CLC run through the Trainer, the encoder passed between them', async () => {
    const gModel = buildGlobalPretrainModel({ size: SIZE, model: S.model, seed: 1 });
    const globalSource = function* ({ epoch }: { epoch: number }): Generator<GlobalBatch> {
      for (let i = 0; i < 2; i++) {
        const d = discBatch(50 + epoch * 10 + i, 4, SIZE); // 2 volumes × 2 partitions
        yield { images: tf.tensor4d(d.images, [4, SIZE, SIZE, 1]), partitions: Int32Array.from([0, 1, 0, 1]) };
      }
    };
    const g = new Trainer<GlobalBatch>({ model: gModel, loss: globalLoss(S.global), train: globalSource, epochs: 2, lr: 1e-3, seed: 1 });
    const gr = await g.run();
    expect(gr.history.every((h) => Number.isFinite(h.train_loss))).toBe(true);

    const lModel = buildLocalPretrainModel({ size: SIZE, model: S.model, seed: 1 });
    const copied = loadEncoderDecoder(lModel, g.bestWeights() as Uint8Array, true);
    expect(copied.length).toBeGreaterThan(0);
    const p = S.clc.patchSize;
    const clcSource = function* ({ rng }: { rng: () => number }): Generator<ClcBatch> {
      for (let i = 0; i < 2; i++) {
        const d = discBatch(Math.floor(rng() * 1e6), 4, SIZE);
        // Patch label = disc / not disc by the patch's top-left pixel: two "tissues".
        const labels = new Int32Array(4 * (SIZE / p) ** 2);
        for (let b = 0; b < 4; b++)
          for (let y = 0; y < SIZE / p; y++)
            for (let x = 0; x < SIZE / p; x++) labels[(b * (SIZE / p) + y) * (SIZE / p) + x] = d.labels[(b * SIZE + y * p) * SIZE + x * p];
        yield { images: tf.tensor4d(d.images, [4, SIZE, SIZE, 1]), patchLabels: tf.tensor3d(labels, [4, SIZE / p, SIZE / p], 'int32') };
      }
    };
    const before = tf.memory().numTensors;
    const c = new Trainer<ClcBatch>({
      model: lModel,
      loss: clcLossFn(S.clc),
      train: clcSource,
      validation: clcSource,
      epochs: 2,
      lr: 1e-3,
      plateau: S.clc.plateau,
      seed: 2,
    });
    const cr = await c.run();
    expect(cr.status).toBe('completed');
    expect(cr.history.every((h) => Number.isFinite(h.val_loss as number))).toBe(true);
    g.dispose();
    c.dispose();
    // Optimiser state freed: only the models' weights remain beyond what existed before.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });
});
