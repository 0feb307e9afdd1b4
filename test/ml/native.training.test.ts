import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { startNativeBackend } from '../../src/ml/native/backend';
import { PRESETS, type ModelConfig } from '../../src/ml/presets';
import {
  Trainer,
  clcLossFn,
  finetuneLoss,
  globalLoss,
  segmentationBatch,
  type ClcBatch,
  type GlobalBatch,
  type LossFn,
  type SegmentationBatch,
} from '../../src/ml/train';
import { buildGlobalPretrainModel, buildLocalPretrainModel, buildSegmentationModel, type UnetOptions } from '../../src/ml/unet';
import { describeNative } from './native-support';
import { discBatch } from './toy-data';

const S = PRESETS.SMOKE;
const SIZE = 32;
const tiny: ModelConfig = { ...S.model, filters: [4, 8, 16] };
const LR = 1e-3;

function segBatch(seed: number): SegmentationBatch {
  const d = discBatch(seed, 4, SIZE);
  return segmentationBatch(d.images, d.labels, 4, SIZE);
}

function clcBatch(seed: number): ClcBatch {
  const d = discBatch(seed, 4, SIZE);
  const p = S.clc.patchSize;
  const n = SIZE / p;
  const labels = new Int32Array(4 * n * n);
  for (let b = 0; b < 4; b++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) labels[(b * n + y) * n + x] = d.labels[(b * SIZE + y * p) * SIZE + x * p];
  return { images: tf.tensor4d(d.images, [4, SIZE, SIZE, 1]), patchLabels: tf.tensor3d(labels, [4, n, n], 'int32') };
}

function globalBatch(seed: number): GlobalBatch {
  const d = discBatch(seed, 4, SIZE);
  return { images: tf.tensor4d(d.images, [4, SIZE, SIZE, 1]), partitions: Int32Array.from([0, 1, 0, 1]) };
}

interface Case<B> {
  build: (o: UnetOptions) => tf.LayersModel;
  loss: LossFn<B>;
  batch: (seed: number) => B;
}

const CASES = {
  // Without augmentation: wasm's tf.image.transform differs from the cpu backend's (which native uses unchanged), up to
  // whole label values at some pixels, so the two engines would train on different images.
  'fine-tuning': { build: buildSegmentationModel, loss: finetuneLoss(PRESETS.PAPER.finetune, false), batch: segBatch } as Case<SegmentationBatch>,
  CLC: { build: buildLocalPretrainModel, loss: clcLossFn(S.clc), batch: clcBatch } as Case<ClcBatch>,
  global: { build: buildGlobalPretrainModel, loss: globalLoss(S.global), batch: globalBatch } as Case<GlobalBatch>,
};

/** One Trainer step on `backend` from the same initial weights and batch: the loss and the updated weights. */
async function oneStep<B>(backend: string, c: Case<B>): Promise<{ loss: number; before: Float32Array[]; after: Float32Array[] }> {
  await tf.setBackend(backend);
  const model = c.build({ size: SIZE, model: tiny, seed: 3 });
  const trainer = new Trainer<B>({ model, loss: c.loss, train: () => [], epochs: 1, lr: LR, seed: 5 });
  const read = () => model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
  const before = read();
  const batch = c.batch(11);
  const loss = await trainer.step(batch, { epoch: 0, batch: 0, seed: 17, training: true });
  const after = read();
  tf.dispose(Object.values(batch as object).filter((t) => t instanceof tf.Tensor));
  trainer.dispose();
  model.dispose();
  return { loss, before, after };
}

describeNative('native training steps against wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    // Both engines in one process: wasm through initBackend, native registered beside it.
    await startNativeBackend(1);
  });

  it.each(Object.keys(CASES) as (keyof typeof CASES)[])('a %s step gives the loss and updated weights wasm gives', async (name) => {
    const c = CASES[name] as Case<unknown>;
    const wasm = await oneStep('wasm', c);
    const native = await oneStep('native', c);
    expect(Math.abs(native.loss - wasm.loss) / Math.abs(wasm.loss)).toBeLessThan(1e-4);
    // Adam's first step moves every weight by lr·g/(|g| + ε), ≈ ±lr: compare the steps taken, in units of lr. Where
    // |g| is near ε = 1e-7 the step depends on g's last digits, so the worst case gets a looser bound than the mean.
    let worst = 0;
    let sum = 0;
    let n = 0;
    native.after.forEach((w, k) => {
      w.forEach((v, i) => {
        expect(native.before[k][i]).toBe(wasm.before[k][i]);
        const d = Math.abs(v - wasm.after[k][i]) / LR;
        worst = Math.max(worst, d);
        sum += d;
        n += 1;
      });
    });
    expect(worst).toBeLessThan(0.05);
    expect(sum / n).toBeLessThan(1e-4);
  });
});

describeNative('native training leaves nothing behind', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    await startNativeBackend(1);
  });

  it.each(Object.keys(CASES) as (keyof typeof CASES)[])('a %s step leaves no tensor behind on native', async (name) => {
    await tf.setBackend('native');
    const c = CASES[name] as Case<unknown>;
    const model = c.build({ size: SIZE, model: tiny, seed: 3 });
    const trainer = new Trainer<unknown>({ model, loss: c.loss, train: () => [], epochs: 1, lr: LR, seed: 5 });
    const batch = c.batch(11);
    await trainer.step(batch, { epoch: 0, batch: 0, seed: 1, training: true }); // creates Adam's moments
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 1; i < 4; i++) await trainer.step(batch, { epoch: 0, batch: i, seed: i, training: true });
    expect({ tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }).toEqual(before);
    tf.dispose(Object.values(batch as object).filter((t) => t instanceof tf.Tensor));
    trainer.dispose();
    model.dispose();
  });
});

/** Train on `backend` up to `epochs` epochs, from a saved trainer state when given; the new state, last loss, weights. */
async function train(backend: string, state: Uint8Array | null, epochs: number) {
  await tf.setBackend(backend);
  const model = buildSegmentationModel({ size: SIZE, model: tiny, seed: 3 });
  const source = function* ({ epoch }: { epoch: number }): Generator<SegmentationBatch> {
    for (let i = 0; i < 2; i++) yield segBatch(100 + 10 * epoch + i);
  };
  const trainer = new Trainer<SegmentationBatch>({ model, loss: finetuneLoss(PRESETS.PAPER.finetune, false), train: source, epochs, lr: LR, seed: 5 });
  if (state) await trainer.restoreState(state);
  const result = await trainer.run();
  const out = {
    state: await trainer.exportState(),
    loss: result.history[result.history.length - 1].train_loss,
    weights: model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync())),
  };
  trainer.dispose();
  model.dispose();
  return out;
}

describeNative('checkpoints move between native and wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    await startNativeBackend(1);
  });

  it.each([
    ['native', 'wasm'],
    ['wasm', 'native'],
  ])('saved on %s, resumed on %s: the next epoch matches resuming where it was saved', async (from, to) => {
    const saved = await train(from, null, 1);
    const there = await train(to, saved.state, 2);
    const here = await train(from, saved.state, 2);
    expect(Math.abs(there.loss - here.loss) / here.loss).toBeLessThan(1e-4);
    let worst = 0;
    there.weights.forEach((w, k) => w.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - here.weights[k][i]) / LR))));
    expect(worst).toBeLessThan(0.01);
  });
});
