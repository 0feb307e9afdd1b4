/**
 * The runner jobs on a 6-subject phantom cohort (DWI, 32², 8 slices; split 4/1/1) with the SMOKE preset, on wasm:
 * phases and metrics, checkpoints and resume, evaluation, cancellation, NaN failure, memory.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMask } from '../../src/data/encoding';
import { initBackend } from '../../src/ml/backend';
import { kidneyDice } from '../../src/ml/metrics';
import type { FinetuneRunConfig } from '../../src/ml/presets';
import { resolveConfig } from '../../src/ml/resolve-config';
import { buildSegmentationModel, isHeadName } from '../../src/ml/unet';
import { decodeBundle, loadEncoderDecoder } from '../../src/ml/weights';
import { JobCancelledError, type EpochReport, type JobResult } from '../../src/runs/job';
import { labelledSubset } from '../../src/runners/jobs/dataset';
import { runJob } from '../../src/runners/jobs';
import { jobSpec, memoryCohort, memoryIO, type MemoryCohort } from './jobs-fixture';

let cohort: MemoryCohort;
const PRE = resolveConfig('PRETRAIN', 'SMOKE');
const FT = resolveConfig('FINETUNE', 'SMOKE') as FinetuneRunConfig;
const pretrainSpec = (resumeCheckpointKey: string | null = null) => jobSpec(cohort, { kind: 'PRETRAIN', config: PRE, resumeCheckpointKey });
const finetuneSpec = (over: Partial<Parameters<typeof jobSpec>[1]> = {}) =>
  jobSpec(cohort, { kind: 'FINETUNE', config: FT, initialization: 'RANDOM', nLabeled: 2, ...over });
/** Reports without the checkpoint keys (those hold the wall-clock seconds of the history). */
const metricsOf = (rs: EpochReport[]) => rs.map((r) => ({ phase: r.phase, epoch: r.epoch, epochs: r.epochs, metrics: r.metrics }));

let pretrained: JobResult;
let pretrainReports: EpochReport[];

describe('runner jobs', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    cohort = memoryCohort({ subjects: 6, size: 32, slices: 8, contrast: 'DWI' });
  });

  it('labelled subsets are nested, seeded, and TRAIN-only', () => {
    const train = cohort.subjects.filter((s) => s.split === 'TRAIN').map((s) => s.id);
    const two = labelledSubset(cohort.subjects, 2, 5).map((s) => s.id);
    const four = labelledSubset(cohort.subjects, 4, 5).map((s) => s.id);
    expect(four.slice(0, 2)).toEqual(two);
    expect([...four].sort()).toEqual([...train].sort());
    expect(labelledSubset([...cohort.subjects].reverse(), 2, 5).map((s) => s.id)).toEqual(two);
    const draws = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seed) =>
        labelledSubset(cohort.subjects, 2, seed)
          .map((s) => s.id)
          .join(),
      ),
    );
    expect(draws.size).toBeGreaterThan(1);
    expect(() => labelledSubset(cohort.subjects, 5, 5)).toThrow(/only 4 labelled TRAIN subjects/);
  });

  it('PRETRAIN runs constraints → global → clc → probe with contiguous epochs and returns encoder-decoder weights', async () => {
    const io = memoryIO(cohort.blobs);
    pretrained = await runJob(pretrainSpec(), io);
    pretrainReports = io.reports;
    const G = PRE.global.epochs;
    const C = PRE.clc.epochs;
    const total = G + C + 1;
    expect(io.phases).toEqual(['constraints', 'global', 'clc', 'probe']);
    expect(io.reports.map((r) => r.epoch)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const r of io.reports) {
      expect(r.epochs).toBe(total);
      expect(r.phase).toBe(r.epoch <= G ? 'global' : r.epoch <= G + C ? 'clc' : 'probe');
      if (r.phase !== 'probe') expect(Object.keys(r.metrics).sort()).toEqual(r.phase === 'global' ? ['global_loss', 'lr'] : ['clc_loss', 'lr', 'val_clc_loss']);
      for (const v of Object.values(r.metrics)) expect(Number.isFinite(v)).toBe(true);
    }
    // The probe: Dice of the frozen-body read-out from this init and from RI, and the kernels' change per level.
    const probe = io.reports[total - 1].metrics;
    expect(Object.keys(probe).sort()).toEqual([
      'probe_dice_clc',
      'probe_dice_ri',
      'wchange_dec0',
      'wchange_dec1',
      'wchange_enc0',
      'wchange_enc1',
      'wchange_enc2',
      'wchange_median',
    ]);
    for (const k of ['probe_dice_clc', 'probe_dice_ri']) expect(probe[k]).toBeGreaterThanOrEqual(0);
    expect(probe.wchange_enc0).toBeGreaterThan(0); // pretraining moved the first level's kernels
    expect(io.logs.some((l) => /anchor candidates \(body patches\): \d/.test(l))).toBe(true);
    expect(io.reports[G].bestCheckpointKey).not.toBeNull(); // the first CLC epoch is always the best so far
    expect(io.logs.filter((l) => l.startsWith('constraint map'))).toHaveLength(5); // 4 TRAIN + 1 VALIDATION
    const names = decodeBundle(cohort.blobs.get(pretrained.finalWeightsKey)!).arrays.map((a) => a.name);
    expect(names.some(isHeadName)).toBe(false);
    const seg = buildSegmentationModel({ size: 32, model: FT.model, seed: 1 });
    expect(loadEncoderDecoder(seg, cohort.blobs.get(pretrained.finalWeightsKey)!).length).toBe(names.length);
    seg.dispose();
    expect(pretrained.device).toMatch(/^wasm/);
  });

  it('PRETRAIN of another seed on the same series and params reuses the stored constraint maps', async () => {
    const io = memoryIO(cohort.blobs);
    const other = await runJob({ ...pretrainSpec(), runId: 'run-2', seed: 12 }, io);
    expect(io.logs.filter((l) => l.startsWith('constraint map'))).toHaveLength(0);
    expect(io.phases).toEqual(['constraints', 'global', 'clc', 'probe']);
    expect(other.finalWeightsKey).not.toBe(pretrained.finalWeightsKey); // another seed trains another model
    // other constraint params are other maps: computed again
    const otherParams = memoryIO(cohort.blobs);
    const spec = jobSpec(cohort, { kind: 'PRETRAIN', config: resolveConfig('PRETRAIN', 'SMOKE', { constraints: { clusters: 5 } }) });
    await runJob(spec, otherParams);
    expect(otherParams.logs.filter((l) => l.startsWith('constraint map'))).toHaveLength(5);
  });

  it('PRETRAIN resumed after any epoch ends exactly as the uninterrupted run', async () => {
    for (const stopAfter of [1, 2, 3]) {
      // 3 = the last CLC epoch: the resumed run redoes only the probe
      const first = memoryIO(cohort.blobs, (r, io) => r.epoch === stopAfter && io.controller.abort());
      await expect(runJob(pretrainSpec(), first)).rejects.toBeInstanceOf(JobCancelledError);
      expect(first.reports.map((r) => r.epoch)).toEqual(Array.from({ length: stopAfter }, (_, i) => i + 1));
      const resumed = memoryIO(cohort.blobs);
      const result = await runJob(pretrainSpec(first.reports[stopAfter - 1].checkpointKey), resumed);
      expect(metricsOf([...first.reports, ...resumed.reports])).toEqual(metricsOf(pretrainReports));
      expect(resumed.logs.some((l) => l.startsWith('constraint map'))).toBe(false); // maps come from the checkpoint
      expect(result.finalWeightsKey).toBe(pretrained.finalWeightsKey); // content-addressed: bit-identical weights
    }
  });

  it('FINETUNE from RANDOM trains, evaluates every TEST subject, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const io = memoryIO(cohort.blobs);
    const result = await runJob(finetuneSpec(), io);
    expect(tf.memory().numTensors).toBe(before);
    expect(io.phases).toEqual(['finetune', 'evaluate']);
    expect(io.reports.map((r) => r.epoch)).toEqual([1, 2]);
    for (const r of io.reports) {
      expect(Object.keys(r.metrics).sort()).toEqual(['lr', 'train_loss', 'val_dice_left', 'val_dice_right', 'val_loss']);
      expect(r.metrics.val_dice_right).toBeGreaterThanOrEqual(0);
      expect(r.metrics.val_dice_right).toBeLessThanOrEqual(1);
    }
    const test = cohort.subjects.filter((s) => s.split === 'TEST');
    expect(result.evaluation?.map((e) => e.subjectId)).toEqual(test.map((s) => s.id));
    for (const e of result.evaluation!) {
      const subject = test.find((s) => s.id === e.subjectId)!;
      const pred = decodeMask(cohort.blobs.get(e.predictionBlobKey)!);
      expect([pred.width, pred.height, pred.slices]).toEqual([subject.width, subject.height, subject.slices]);
      expect(e.dice).toEqual(kidneyDice(pred.mask, decodeMask(cohort.blobs.get(subject.maskBlobKey!)!).mask));
      for (const v of [e.dice.right, e.dice.left]) expect(v >= 0 && v <= 1).toBe(true);
      // series and training size are both 32² here: the training-resolution Dice is the same number
      expect(subject.width).toBe(32);
      expect(e.trainingSizeDice).toEqual(e.dice);
      expect(e.trueVolumeMl.right).toBeGreaterThan(0);
      expect(e.trueVolumeMl.left).toBeGreaterThan(0);
      expect(e.volumeMl.right).toBeGreaterThanOrEqual(0);
    }
    expect(cohort.blobs.has(result.finalWeightsKey)).toBe(true);
  });

  it('FINETUNE from CLC starts from the pretrained encoder-decoder, and resumes to the same result', async () => {
    const clc = finetuneSpec({ initialization: 'CLC', pretrainedWeightsKey: pretrained.finalWeightsKey });
    const full = memoryIO(cohort.blobs);
    const result = await runJob(clc, full);
    const random = memoryIO(cohort.blobs);
    await runJob(finetuneSpec(), random);
    expect(full.reports[0].metrics.train_loss).not.toBe(random.reports[0].metrics.train_loss);
    expect(result.evaluation).toHaveLength(1);

    const first = memoryIO(cohort.blobs, (r, io) => r.epoch === 1 && io.controller.abort());
    await expect(runJob(clc, first)).rejects.toBeInstanceOf(JobCancelledError);
    const resumed = memoryIO(cohort.blobs);
    const again = await runJob({ ...clc, resumeCheckpointKey: first.reports[0].checkpointKey }, resumed);
    expect(metricsOf([...first.reports, ...resumed.reports])).toEqual(metricsOf(full.reports));
    expect(again.finalWeightsKey).toBe(result.finalWeightsKey);
    expect(again.evaluation).toEqual(result.evaluation);
  });

  it('cancellation during an epoch stops within a batch with JobCancelledError', async () => {
    const io = memoryIO(cohort.blobs);
    const phase = io.phase;
    io.phase = (name, epochs) => {
      phase(name, epochs);
      // Abort from the event loop once training has begun: the Trainer yields after every batch.
      if (name === 'finetune') setImmediate(() => io.controller.abort());
    };
    const big = { ...FT, finetune: { ...FT.finetune, maxBatchesPerEpoch: 0, batchSize: 2 } };
    await expect(runJob(finetuneSpec({ config: big, nLabeled: 4 }), io)).rejects.toBeInstanceOf(JobCancelledError);
    expect(io.reports).toHaveLength(0); // 64 batches per epoch: it stopped inside the first one
  });

  it('a NaN loss fails the job with a readable message', async () => {
    const bad = { ...FT, finetune: { ...FT.finetune, lr: Number.NaN } };
    await expect(runJob(finetuneSpec({ config: bad }), memoryIO(cohort.blobs))).rejects.toThrow(/loss became NaN at epoch 1 \(finetune\), batch 2/);
  });
});
