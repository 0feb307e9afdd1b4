// In a file of its own: vitest gives each file a fresh process, so earlier tests' allocations (glibc's arenas, the
// wasm heap) do not move this process's RSS while it is measured.
import * as tf from '@tensorflow/tfjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { PRESETS, type ModelConfig } from '../../src/ml/presets';
import { Trainer, finetuneLoss, segmentationBatch, type SegmentationBatch } from '../../src/ml/train';
import { buildSegmentationModel } from '../../src/ml/unet';
import { describeNative } from './native-support';
import { discBatch } from './toy-data';

const tiny: ModelConfig = { ...PRESETS.SMOKE.model, filters: [4, 8, 16] };
const LR = 1e-3;

/** A full garbage collection (gc is not exposed under vitest: expose it and take it from a fresh context). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describeNative('native training memory', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'native', threads: 1 });
  });

  it('RSS stays flat over 200 fine-tuning steps', async () => {
    const size = 16;
    const model = buildSegmentationModel({ size, model: { ...tiny, filters: [8, 16] }, seed: 3 });
    const trainer = new Trainer<SegmentationBatch>({ model, loss: finetuneLoss(PRESETS.PAPER.finetune), train: () => [], epochs: 1, lr: LR, seed: 5 });
    const d = discBatch(2, 8, size);
    const batch = segmentationBatch(d.images, d.labels, 8, size);
    const run = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await trainer.step(batch, { epoch: 0, batch: i, seed: i, training: true });
    };
    // Measured with a collection before each reading: the outputs are JavaScript arrays that V8 frees lazily.
    const rss = () => {
      collectGarbage();
      return process.memoryUsage().rss / 2 ** 20;
    };
    // Batch 8 of 16² × 8 channels: the activations (16,384 floats) are big enough for the output pool (./pool.ts).
    await run(0, 100); // warm-up: allocator pools, JIT, Adam's moments (~20 MB here)
    const start = rss();
    await run(100, 300);
    // 1,000 steps measured by hand grew 0.7 MB after the warm-up; one leaked activation per step would be ~16 MB.
    expect(rss() - start).toBeLessThan(6);
    tf.dispose([batch.images, batch.labels]);
    trainer.dispose();
    model.dispose();
  }, 120_000); // ~3 s alone; 300 steps took 79 s once with the 2 cores at load 19
});
