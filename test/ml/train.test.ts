import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentPair, cropResizeViews } from '../../src/ml/augment';
import { initBackend } from '../../src/ml/backend';
import { PRESETS, type ModelConfig } from '../../src/ml/presets';
import { createRng } from '../../src/ml/random';
import { ReduceLrOnPlateau, Trainer, countingLoss, pooledDice, segmentationBatch, type SegmentationBatch } from '../../src/ml/train';
import { buildSegmentationModel } from '../../src/ml/unet';
import { discBatch } from './toy-data';

const SIZE = 32;
const tiny: ModelConfig = { ...PRESETS.SMOKE.model, filters: [4, 8, 16] };
const ft = PRESETS.PAPER.finetune;

function source(seed: number, batches: number, batch: number) {
  return function* ({ epoch }: { epoch: number }): Generator<SegmentationBatch> {
    for (let i = 0; i < batches; i++) {
      const d = discBatch(seed + epoch * 1000 + i, batch, SIZE);
      yield segmentationBatch(d.images, d.labels, batch, SIZE);
    }
  };
}

function trainer(seed: number, epochs: number, extra: Partial<ConstructorParameters<typeof Trainer<SegmentationBatch>>[0]> = {}) {
  const model = buildSegmentationModel({ size: SIZE, model: tiny, seed });
  const counted = countingLoss(ft);
  return new Trainer<SegmentationBatch>({
    model,
    loss: counted.loss,
    train: source(1, 2, 4),
    validation: source(9, 1, 4),
    validationMetrics: counted.metrics,
    epochs,
    lr: 1e-3,
    plateau: ft.plateau,
    seed,
    ...extra,
  });
}

describe('training loop', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('reduce-on-plateau halves after `patience` epochs without improvement, down to minLr', () => {
    const p = new ReduceLrOnPlateau({ factor: 0.5, patience: 2, minLr: 0.2 }, 1);
    expect([3, 2, 2, 2, 1, 5, 5, 5, 5, 5, 5].map((l) => p.step(l))).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
  });

  it('augmentation is seeded and moves labels with the image', () => {
    const d = discBatch(3, 2, SIZE);
    const b = segmentationBatch(d.images, d.labels, 2, SIZE);
    const cfg = { ...ft.augment, intensityProbability: 0 };
    const a1 = augmentPair(b.images, b.labels, createRng(5), cfg);
    const a2 = augmentPair(b.images, b.labels, createRng(5), cfg);
    expect(Array.from(a1.images.dataSync())).toEqual(Array.from(a2.images.dataSync()));
    // Bright pixels of the moved image and label 1 of the moved labels still coincide.
    const img = a1.images.dataSync();
    const lab = a1.labels.dataSync();
    let agree = 0;
    for (let i = 0; i < lab.length; i++) if (img[i] > 0.5 === (lab[i] === 1)) agree++;
    expect(agree / lab.length).toBeGreaterThan(0.9);
    const views = cropResizeViews(b.images, createRng(1), { cropMin: 0.7, brightness: 0.3, contrastMin: 0.7, contrastMax: 1.3 });
    expect(views.shape).toEqual([2, SIZE, SIZE, 1]);
    tf.dispose([b.images, b.labels, a1.images, a1.labels, a2.images, a2.labels, views]);
  });

  it('three epochs leak no tensor', async () => {
    const t = trainer(1, 3);
    const counts: number[][] = [];
    await t.run().then(() => undefined);
    const t2 = trainer(2, 3, {
      onEpoch: () => {
        counts.push([tf.memory().numTensors, tf.engine().backend.numDataIds()]);
      },
    });
    await t2.run();
    expect(counts).toHaveLength(3);
    // The first epoch creates the optimiser's moments; after that nothing may grow.
    expect(counts[2]).toEqual(counts[1]);
    t.dispose();
    t2.dispose();
  });

  it('is deterministic for a seed and resumes exactly from an exported state', async () => {
    const full = trainer(4, 3);
    const a = await full.run();
    const first = trainer(4, 3);
    await first.runEpoch();
    const state = await first.exportState();
    const resumed = trainer(4, 3);
    await resumed.restoreState(state);
    expect(resumed.epoch).toBe(1);
    const b = await resumed.run();
    expect(b.history.map((h) => h.train_loss)).toEqual(a.history.map((h) => h.train_loss));
    expect(b.history.map((h) => h.val_loss)).toEqual(a.history.map((h) => h.val_loss));
    expect(resumed.bestWeights()).toEqual(full.bestWeights());
    [full, first, resumed].forEach((t) => t.dispose());
  });

  it('stops between batches when cancelled', async () => {
    let batches = 0;
    const t = trainer(5, 3, { onBatch: () => batches++, signal: () => batches >= 1 });
    const r = await t.run();
    expect(r.status).toBe('cancelled');
    expect(batches).toBe(1);
    const ac = new AbortController();
    ac.abort();
    expect((await trainer(5, 3, { signal: ac.signal }).run()).status).toBe('cancelled');
  });

  it('learns the disc toy problem to Dice ≥ 0.9 (smoke)', async () => {
    const started = performance.now();
    const model = buildSegmentationModel({ size: SIZE, model: { ...tiny, filters: [8, 16, 32] }, seed: 1 });
    const counted = countingLoss({ ...ft, augment: { ...ft.augment, translate: 0.05 } });
    const t = new Trainer<SegmentationBatch>({
      model,
      loss: counted.loss,
      train: source(100, 10, 8),
      validation: source(7, 2, 16),
      validationMetrics: counted.metrics,
      epochs: 25,
      lr: 3e-3,
      plateau: { factor: 0.5, patience: 3, minLr: 1e-5 },
      seed: 1,
      onEpoch: (m, tr) => {
        if (pooledDice(m, 'right') >= 0.93) tr.stop();
      },
    });
    const r = await t.run();
    const last = r.history[r.history.length - 1];
    expect(pooledDice(last, 'right')).toBeGreaterThanOrEqual(0.9);
    expect((performance.now() - started) / 1000).toBeLessThan(60);
    t.dispose();
  });
});
