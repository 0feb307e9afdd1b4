/**
 * Segmentation benchmark (by hand, never in CI): wall time of one scan through the segmentation worker thread
 * (src/services/workers/segmenter.ts), as POST /api/runs/:id/segment runs it: a 16-slice 128² DIXON phantom series
 * (4 channels) as .nii.gz → read, normalise, resample to the run's size, U-Net on every (slice, channel) image,
 * labels back to 128², mask .nii.gz. For the network of each preset (weights drawn at random: the time does not
 * depend on their values). "cold" is the first scan of a fresh worker (backend start, network build, weights load);
 * "warm" the median of the next `repeats` scans with the network cached.
 *
 *   npx tsx bench/segment.ts [repeats=3]      (NEPHRON_BACKEND / NEPHRON_WASM_THREADS are honoured)
 */
import * as tf from '@tensorflow/tfjs';
import { writeNiftiImage } from '../src/data/nifti';
import { generateSubject } from '../src/data/phantom';
import { PRESETS, type PresetName } from '../src/ml/presets';
import { buildSegmentationModel } from '../src/ml/unet';
import { exportWeights } from '../src/ml/weights';
import { Segmenter } from '../src/services/workers/segmenter';

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 3);
  const subject = generateSubject({ seed: 7, code: 'bench', group: 'HEALTHY', size: 128, slices: 16 });
  const dixon = subject.series.find((s) => s.contrast === 'DIXON')!;
  const nifti = writeNiftiImage({ ...dixon, protocol: dixon.protocol });
  console.log(`scan: DIXON ${dixon.width}×${dixon.height}×${dixon.slices}×${dixon.channels}, ${(nifti.byteLength / 2 ** 20).toFixed(1)} MiB .nii.gz`);
  await tf.setBackend('cpu'); // building weights here only; the worker has its own engine
  for (const preset of ['SMOKE', 'QUICK', 'PAPER'] as PresetName[]) {
    const cfg = PRESETS[preset];
    const model = buildSegmentationModel({ size: cfg.image.size, model: cfg.model, seed: 1 });
    const weights = exportWeights(model);
    model.dispose();
    const segmenter = new Segmenter(async () => weights.slice());
    const request = () => ({
      model: { weightsKey: preset, size: cfg.image.size, model: cfg.model, seed: 1, imagesPerBatch: cfg.finetune.batchSize },
      source: {
        kind: 'nifti' as const,
        bytes: nifti.slice(),
        file: 'bench.nii.gz',
        contrast: 'DIXON',
        channelNames: dixon.channelNames,
        maxInflatedBytes: 2 ** 32,
      },
    });
    const wall = async () => {
      const t0 = performance.now();
      const r = await segmenter.segment(request());
      return { ms: performance.now() - t0, device: r.device };
    };
    const cold = await wall();
    const warm: number[] = [];
    for (let i = 0; i < repeats; i++) warm.push((await wall()).ms);
    warm.sort((a, b) => a - b);
    console.log(
      `${preset.padEnd(5)} (${cfg.image.size}², filters ${cfg.model.filters.join('/')}) on ${cold.device}: cold ${(cold.ms / 1000).toFixed(2)} s, warm median ${(warm[warm.length >> 1] / 1000).toFixed(2)} s (${warm.map((m) => (m / 1000).toFixed(2)).join(', ')})`,
    );
    await segmenter.close();
  }
}

void main();
