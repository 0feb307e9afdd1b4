/**
 * Batches of the two pretraining phases (method.md, "Pretraining (CLC)"), as Trainer data sources. All draws use
 * the epoch's Rng, so an epoch's batches are a function of (seed, epoch) and a resumed run sees the same ones.
 *
 * Global warm-up (Chaitanya et al. 2020, G^D): a "volume" is one channel of one TRAIN subject (a 3D stack). Each
 * epoch shuffles the subjects; a batch takes `volumesPerBatch` of them, a random channel of each, and from each of
 * its `partitions` equal slice ranges one random slice; a row's label is its partition. The two augmented views are
 * made inside the loss (src/ml/train/pretrain.ts). Partitions with no slice (a volume with fewer slices than
 * partitions) are skipped.
 *
 * CLC: every (slice, channel) image of the TRAIN subjects, shuffled each epoch, in batches of `clc.batchSize`, with
 * its slice's patch labels and anchor candidates (./constraints.ts). Validation: a fixed spread of the VALIDATION
 * subjects' images. A capped epoch has exactly `maxBatchesPerEpoch` batches (`trainingBatches`), in both phases.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClcConfig, GlobalConfig } from '../../ml/presets';
import { randInt } from '../../ml/random';
import type { ClcBatch, DataSource, EpochContext, GlobalBatch } from '../../ml/train';
import type { SubjectPatches } from './constraints';
import { chunks, gatherImages, imageSamples, spreadSubset, trainingBatches, type LoadedSubject, type SampleRef } from './dataset';

export function globalSource(
  subjects: LoadedSubject[],
  cfg: Pick<GlobalConfig, 'partitions' | 'volumesPerBatch' | 'maxBatchesPerEpoch'>,
): DataSource<GlobalBatch> {
  return function* ({ rng }: EpochContext) {
    const volumes = subjects.map((_, i) => i);
    for (const group of trainingBatches(volumes, Math.min(cfg.volumesPerBatch, volumes.length), rng, cfg.maxBatchesPerEpoch)) {
      const refs: SampleRef[] = [];
      const partitions: number[] = [];
      for (const i of group) {
        const { slices, channels } = subjects[i].volume;
        const channel = randInt(rng, channels);
        for (let k = 0; k < cfg.partitions; k++) {
          const lo = Math.floor((k * slices) / cfg.partitions);
          const hi = Math.floor(((k + 1) * slices) / cfg.partitions);
          if (hi <= lo) continue;
          refs.push({ subject: i, slice: lo + randInt(rng, hi - lo), channel });
          partitions.push(k);
        }
      }
      const size = subjects[0].volume.width;
      yield { images: tf.tensor4d(gatherImages(subjects, refs), [refs.length, size, size, 1]), partitions: Int32Array.from(partitions) };
    }
  };
}

/** CLC batches; `shuffled` = training (a new order each epoch, cycled to the cap), else the fixed validation order. */
export function clcSource(
  subjects: LoadedSubject[],
  patches: Map<string, SubjectPatches>,
  cfg: Pick<ClcConfig, 'batchSize' | 'patchSize' | 'maxValidationImages' | 'maxBatchesPerEpoch'>,
  shuffled: boolean,
): DataSource<ClcBatch> {
  const samples = shuffled ? imageSamples(subjects) : spreadSubset(imageSamples(subjects), cfg.maxValidationImages);
  return function* ({ rng }: EpochContext) {
    const batches = shuffled ? trainingBatches(samples, cfg.batchSize, rng, cfg.maxBatchesPerEpoch) : chunks(samples, cfg.batchSize);
    for (const refs of batches) {
      const size = subjects[0].volume.width;
      const hp = size / cfg.patchSize;
      const perImage = hp * hp;
      const labels = new Int32Array(refs.length * perImage);
      const candidates = new Uint8Array(refs.length * perImage);
      refs.forEach((r, i) => {
        const s = subjects[r.subject];
        const p = patches.get(s.subject.id);
        if (!p) throw new Error(`no patch labels for subject ${s.subject.code}`);
        const off = r.slice * perImage;
        labels.set(p.labels.subarray(off, off + perImage), i * perImage);
        candidates.set(p.candidates.subarray(off, off + perImage), i * perImage);
      });
      yield {
        images: tf.tensor4d(gatherImages(subjects, refs), [refs.length, size, size, 1]),
        patchLabels: tf.tensor3d(labels, [refs.length, hp, hp], 'int32'),
        anchorCandidates: candidates,
      };
    }
  };
}
