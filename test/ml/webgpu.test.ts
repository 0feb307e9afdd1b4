/**
 * The WebGPU backend (Dawn through the `webgpu` package) against the cpu backend, on SwiftShader: one whole training
 * step of each kind (fine-tuning with augmentation, CLC, G^D) gives the same loss and weight gradients to 1e-4
 * relative. Shapes are tiny: SwiftShader emulates the GPU on the CPU.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { PRESETS } from '../../src/ml/presets';
import { replayCounts, replayReads } from '../../src/ml/reads';
import { Trainer, clcLossFn, countingLoss, finetuneLoss, globalLoss, segmentationBatch, type LossFn, type StepContext } from '../../src/ml/train';
import { buildGlobalPretrainModel, buildLocalPretrainModel, buildSegmentationModel, type UnetOptions } from '../../src/ml/unet';
import { exportWeights, loadWeights } from '../../src/ml/weights';
import { swiftShaderMissing } from '../helpers/swiftshader';
import { discBatch } from './toy-data';

const SIZE = 16;
const S = PRESETS.SMOKE;
const model = { ...S.model, filters: [4, 8], globalDense: 8, globalProjection: 4, localChannels: 4 };
const ctx: StepContext = { epoch: 0, batch: 0, seed: 7, training: true };

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
}

/** Loss and gradients of one step on `backend`, from the given weights; the batch is rebuilt there from host arrays. */
async function step<B>(
  backend: string,
  build: (o: UnetOptions) => tf.LayersModel,
  weights: Uint8Array,
  makeBatch: () => B,
  loss: LossFn<B>,
): Promise<StepResult> {
  await tf.setBackend(backend);
  const m = build({ size: SIZE, model, seed: 1 });
  loadWeights(m, weights);
  const batch = makeBatch();
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = await replayReads(() => tf.variableGrads(() => loss(m, batch, ctx), vars));
  const out: StepResult = { loss: (await value.data())[0], grads: new Map() };
  for (const [i, w] of m.trainableWeights.entries()) out.grads.set(w.originalName, (await grads[vars[i].name].data()) as Float32Array);
  tf.dispose([value, ...Object.values(grads), batch as tf.TensorContainer]);
  m.dispose();
  return out;
}

/** ‖a − b‖ / ‖b‖ per weight, the largest over the weights. */
function worstRelative(gpu: StepResult, cpu: StepResult): { name: string; rel: number } {
  let worst = { name: '', rel: 0 };
  for (const [name, ref] of cpu.grads) {
    const got = gpu.grads.get(name);
    if (!got) throw new Error(`no webgpu gradient for ${name}`);
    let d = 0;
    let n = 0;
    for (let i = 0; i < ref.length; i++) {
      d += (got[i] - ref[i]) ** 2;
      n += ref[i] ** 2;
    }
    const rel = Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-12);
    if (rel > worst.rel) worst = { name, rel };
  }
  return worst;
}

async function compare<B>(build: (o: UnetOptions) => tf.LayersModel, makeBatch: () => B, loss: LossFn<B>): Promise<void> {
  await tf.setBackend('cpu');
  const reference = build({ size: SIZE, model, seed: 1 });
  const weights = exportWeights(reference);
  reference.dispose();
  const cpu = await step('cpu', build, weights, makeBatch, loss);
  const gpu = await step('webgpu', build, weights, makeBatch, loss);
  expect(cpu.grads.size).toBeGreaterThan(4);
  expect(Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-4);
  const worst = worstRelative(gpu, cpu);
  expect(worst.rel, `gradient of ${worst.name}`).toBeLessThan(1e-4);
}

describe('webgpu backend (SwiftShader) against cpu', () => {
  beforeAll(async () => {
    const missing = swiftShaderMissing();
    if (missing) throw new Error(missing);
    const info = await initBackend({ backend: 'webgpu' });
    expect(info.device).toMatch(/^webgpu:0 .*SwiftShader.*\[google\/swiftshader/);
  });

  it('a fine-tuning step (augmentation, U-Net with GroupNorm, focal Tversky)', async () => {
    const d = discBatch(3, 2, SIZE);
    await compare(buildSegmentationModel, () => segmentationBatch(d.images, d.labels, 2, SIZE), finetuneLoss(PRESETS.PAPER.finetune, false));
    // Augmented: one image, because tfjs-backend-cpu 4.22's Transform fills every image after the first with the
    // fill value (wasm and webgpu agree with each other there)
    const one = discBatch(4, 1, SIZE);
    await compare(buildSegmentationModel, () => segmentationBatch(one.images, one.labels, 1, SIZE), finetuneLoss(PRESETS.PAPER.finetune));
  });

  it('a CLC step (local head, neighbourhoods read from the device)', async () => {
    const d = discBatch(5, 2, SIZE);
    const p = 4;
    const g = SIZE / p;
    const labels = new Int32Array(2 * g * g);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) labels[(b * g + y) * g + x] = d.labels[(b * SIZE + y * p) * SIZE + x * p];
    // k = every other patch (topKFraction 1, capped at patches − 1): every neighbourhood is the whole image, so float
    // differences cannot change which patches it holds
    const cfg = { ...S.clc, patchSize: p, topKFraction: 1, anchors: 4 };
    const reruns = replayCounts.reruns;
    await compare(
      buildLocalPretrainModel,
      () => ({ images: tf.tensor4d(d.images, [2, SIZE, SIZE, 1]), patchLabels: tf.tensor3d(labels, [2, g, g], 'int32') }),
      clcLossFn(cfg),
    );
    // the similarities, then their top-k, are read inside the forward pass: two reruns of the webgpu step
    expect(replayCounts.reruns - reruns).toBe(2);
  });

  it('a global step (G^D with crop-and-resize views)', async () => {
    const d = discBatch(9, 4, SIZE);
    const reruns = replayCounts.reruns;
    await compare(
      buildGlobalPretrainModel,
      () => ({ images: tf.tensor4d(d.images, [4, SIZE, SIZE, 1]), partitions: Int32Array.from([0, 1, 0, 1]) }),
      globalLoss(S.global),
    );
    expect(replayCounts.reruns - reruns).toBe(0); // G^D reads nothing inside its forward pass
  });
});

describe('webgpu training loop', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'webgpu' });
    await tf.setBackend('webgpu');
  });

  it('keeps no tensor across epochs: fine-tuning with validation, CLC with its replayed reads', async () => {
    const perEpoch: number[] = [];
    const onEpoch = () => void perEpoch.push(tf.memory().numTensors);
    const d = discBatch(11, 2, SIZE);
    const seg = buildSegmentationModel({ size: SIZE, model, seed: 2 });
    const segSource = () => [segmentationBatch(d.images, d.labels, 2, SIZE)];
    const counted = countingLoss(PRESETS.PAPER.finetune); // the fine-tuning job's loss and pooled-Dice counts
    const ft = new Trainer({
      model: seg,
      loss: counted.loss,
      train: segSource,
      validation: segSource,
      validationMetrics: counted.metrics,
      epochs: 3,
      lr: 1e-3,
      seed: 1,
      onEpoch,
    });
    const ftResult = await ft.run();
    expect(ftResult.history.every((h) => Number.isFinite(h.train_loss) && Number.isFinite(h.val_loss as number))).toBe(true);
    ft.dispose();
    seg.dispose();

    const local = buildLocalPretrainModel({ size: SIZE, model, seed: 2 });
    const g = SIZE / 4;
    const labels = Int32Array.from({ length: 2 * g * g }, (_, i) => (i % g < g / 2 ? 0 : 1));
    const clcSource = () => [{ images: tf.tensor4d(d.images, [2, SIZE, SIZE, 1]), patchLabels: tf.tensor3d(labels, [2, g, g], 'int32') }];
    const clc = new Trainer({
      model: local,
      loss: clcLossFn({ ...S.clc, patchSize: 4, topKFraction: 6 / (g * g), anchors: 4 }),
      train: clcSource,
      validation: clcSource,
      epochs: 3,
      lr: 1e-3,
      seed: 1,
      onEpoch,
    });
    const clcResult = await clc.run();
    expect(clcResult.history.every((h) => Number.isFinite(h.train_loss))).toBe(true);
    clc.dispose();
    local.dispose();
    // the first epoch creates the optimiser's moments and keeps the best weights; after it nothing grows
    expect(perEpoch[2]).toBe(perEpoch[1]);
    expect(perEpoch[5]).toBe(perEpoch[4]);
  });
});
