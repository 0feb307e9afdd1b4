/**
 * The FINETUNE job (method.md, "Fine-tuning (segmentation)" and "Evaluation"):
 * - the segmentation U-Net built with the run's seed, then for CLC the pretrained encoder-decoder loaded by name
 *   (heads excluded), so RI and CLC differ only in the initial encoder-decoder weights;
 * - the nested subset of N labelled TRAIN subjects (./dataset.ts), every (slice, channel) image of them shuffled each
 *   epoch, focal Tversky loss on augmented batches (src/ml/train/finetune.ts), Adam at `finetune.lr`;
 * - each epoch, the VALIDATION subjects' images: the validation focal Tversky loss (drives reduce-on-plateau and the
 *   best checkpoint) and the kidney Dice pooled over all validation pixels;
 * - phase "evaluate": the best checkpoint on every TEST subject (./evaluate.ts).
 * Reports { train_loss, val_loss, val_dice_right, val_dice_left, lr } per epoch, a checkpoint after each; resume as
 * in ./phase.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend';
import { focalTversky } from '../../ml/losses';
import type { FinetuneConfig, FinetuneRunConfig } from '../../ml/presets';
import { deriveSeed } from '../../ml/random';
import { Trainer, finetuneLoss, type LossFn, type MetricsFn, type SegmentationBatch } from '../../ml/train';
import { NUM_CLASSES, buildSegmentationModel } from '../../ml/unet';
import { exportWeightsAsync, loadEncoderDecoder, loadWeights } from '../../ml/weights';
import type { Job, JobIO, JobResult, JobSpec } from '../../runs/job';
import { SubjectLoader, labelledSubset, segmentationSource, splitSubjects } from './dataset';
import { evaluateSubjects } from './evaluate';
import { decodeJobCheckpoint, epochReporter, runPhase } from './phase';

export const finetuneJob: Job = async (spec: JobSpec, io: JobIO): Promise<JobResult> => {
  const { device } = await initBackend();
  const cfg = finetuneConfig(spec);
  const ft = cfg.finetune;
  const size = cfg.image.size;
  if (spec.nLabeled === null) throw new Error('FINETUNE run without nLabeled');
  if (spec.initialization !== 'RANDOM' && spec.initialization !== 'CLC') throw new Error(`FINETUNE run with initialization ${String(spec.initialization)}`);
  const resume = spec.resumeCheckpointKey ? decodeJobCheckpoint(await io.getBlob(spec.resumeCheckpointKey), 'FINETUNE', spec.seed) : null;

  const loader = new SubjectLoader(io, size);
  const train = await loader.loadAll(labelledSubset(spec.subjects, spec.nLabeled, spec.seed));
  const val = await loader.loadAll(splitSubjects(spec.subjects, 'VALIDATION').filter((s) => s.maskBlobKey));
  const test = splitSubjects(spec.subjects, 'TEST');

  const model = buildSegmentationModel({ size, model: cfg.model, seed: spec.seed });
  const counted = countingLoss(ft);
  const total = ft.epochs;
  const trainer = new Trainer<SegmentationBatch>({
    model,
    loss: counted.loss,
    train: segmentationSource(train, ft.batchSize, true, ft.maxBatchesPerEpoch),
    validation: val.length > 0 ? segmentationSource(val, ft.batchSize, false, ft.maxValidationImages) : undefined,
    validationMetrics: counted.metrics,
    epochs: total,
    lr: ft.lr,
    plateau: ft.plateau,
    seed: deriveSeed(spec.seed, 'finetune'),
    maxBatchesPerEpoch: ft.maxBatchesPerEpoch,
    signal: io.signal,
    onEpoch: epochReporter({
      io,
      phase: 'finetune',
      offset: 0,
      total,
      meta: { kind: 'FINETUNE', seed: spec.seed },
      reportBest: true,
      // Without VALIDATION subjects there is no val_*: the training loss drives the schedule (Trainer).
      metrics: (m): Record<string, number> =>
        m.val_loss === null
          ? { train_loss: m.train_loss, lr: m.lr }
          : { train_loss: m.train_loss, val_loss: m.val_loss, val_dice_right: pooledDice(m, 'right'), val_dice_left: pooledDice(m, 'left'), lr: m.lr },
    }),
  });
  try {
    if (resume) {
      await trainer.restoreState(resume.trainerState);
    } else if (spec.initialization === 'CLC') {
      if (!spec.pretrainedWeightsKey) throw new Error('FINETUNE from CLC without pretrainedWeightsKey');
      loadEncoderDecoder(model, await io.getBlob(spec.pretrainedWeightsKey));
    }
    io.phase('finetune', total);
    await runPhase(trainer, { io, phase: 'finetune', offset: 0 });

    const best = trainer.bestWeights() ?? (await exportWeightsAsync(model));
    const finalWeightsKey = await io.putBlob(best);
    loadWeights(model, best);
    io.phase('evaluate', total);
    const evaluation = await evaluateSubjects(model, loader, test, io, Math.max(ft.batchSize, 1));
    return { finalWeightsKey, evaluation, device };
  } finally {
    trainer.dispose();
    model.dispose();
  }
};

function finetuneConfig(spec: JobSpec): FinetuneRunConfig {
  const cfg = spec.config as Partial<FinetuneRunConfig>;
  for (const section of ['image', 'model', 'finetune'] as const) {
    if (!cfg[section]) throw new Error(`FINETUNE run config lacks the "${section}" section`);
  }
  return cfg as FinetuneRunConfig;
}

const KIDNEYS = { right: 1, left: 2 } as const;

/**
 * Training: `finetuneLoss` (augmented). Validation: the same focal Tversky on the un-augmented batch, and from the
 * same forward pass the per-kidney counts |pred|, |true|, |pred ∩ true| that `metrics` then hands to the Trainer.
 * The Trainer averages metrics over batches, so mean(∩)/mean(…) = Σ∩/Σ…: `pooledDice` gives the Dice over all
 * validation pixels, not a mean of per-batch Dice (batches without kidney would count as 1).
 */
function countingLoss(ft: FinetuneConfig): { loss: LossFn<SegmentationBatch>; metrics: MetricsFn<SegmentationBatch> } {
  const trainLoss = finetuneLoss(ft);
  let stash: { epoch: number; batch: number; counts: Record<string, number> } | null = null;
  const loss: LossFn<SegmentationBatch> = (model, batch, ctx) => {
    if (ctx.training) return trainLoss(model, batch, ctx);
    const probs = model.apply(batch.images, { training: false }) as tf.Tensor;
    const pred = tf.argMax(probs, -1).dataSync();
    const truth = batch.labels.dataSync();
    const counts: Record<string, number> = {};
    for (const [name, label] of Object.entries(KIDNEYS)) {
      let p = 0;
      let t = 0;
      let both = 0;
      for (let i = 0; i < pred.length; i++) {
        const a = pred[i] === label;
        const b = truth[i] === label;
        if (a) p++;
        if (b) t++;
        if (a && b) both++;
      }
      Object.assign(counts, { [`pred_${name}`]: p, [`true_${name}`]: t, [`both_${name}`]: both });
    }
    stash = { epoch: ctx.epoch, batch: ctx.batch, counts };
    const oneHot = tf.cast(tf.oneHot(batch.labels, NUM_CLASSES), 'float32');
    return focalTversky(oneHot, probs, { alpha: ft.alpha, weights: ft.weights, gamma: ft.gamma, smooth: ft.smooth });
  };
  const metrics: MetricsFn<SegmentationBatch> = (_model, _batch, ctx) => {
    if (!stash || stash.epoch !== ctx.epoch || stash.batch !== ctx.batch) throw new Error('validation metrics: no counts from this batch’s loss');
    return stash.counts;
  };
  return { loss, metrics };
}

function pooledDice(m: Record<string, unknown>, kidney: keyof typeof KIDNEYS): number {
  const p = (m[`pred_${kidney}`] as number | undefined) ?? 0;
  const t = (m[`true_${kidney}`] as number | undefined) ?? 0;
  const both = (m[`both_${kidney}`] as number | undefined) ?? 0;
  return p + t === 0 ? 1 : (2 * both) / (p + t);
}
