/**
 * The FINETUNE job (method.md, "Fine-tuning (segmentation)" and "Evaluation"):
 * - the segmentation U-Net built with the run's seed, then for CLC the pretrained encoder-decoder loaded by name
 *   (heads excluded), so RI and CLC differ only in the initial encoder-decoder weights;
 * - the nested subset of N labelled TRAIN subjects (./dataset.ts), every (slice, channel) image of them shuffled each
 *   epoch, focal Tversky loss on augmented batches (src/ml/train/finetune.ts), Adam at `finetune.lr`;
 * - each epoch, the VALIDATION subjects' images: the validation focal Tversky loss (drives reduce-on-plateau and the
 *   best checkpoint) and the kidney Dice pooled over all validation pixels (src/ml/train/finetune.ts countingLoss);
 * - phase "evaluate": the best checkpoint on every TEST subject (./evaluate.ts).
 * Reports { train_loss, val_loss, val_dice_right, val_dice_left, lr } per epoch, a checkpoint after each; resume as
 * in ./phase.ts.
 */
import { initBackend } from '../../ml/backend';
import { deriveSeed } from '../../ml/random';
import { Trainer, countingLoss, pooledDice, type SegmentationBatch } from '../../ml/train';
import { buildSegmentationModel } from '../../ml/unet';
import { exportWeightsAsync, loadEncoderDecoder, loadWeights } from '../../ml/weights';
import { jobConfig, type Job, type JobIO, type JobResult, type JobSpec } from '../../runs/job';
import { SubjectLoader, labelledSubset, segmentationSource, splitSubjects } from './dataset';
import { evaluateSubjects } from './evaluate';
import { decodeJobCheckpoint, epochReporter, runPhase } from './phase';

export const finetuneJob: Job = async (spec: JobSpec, io: JobIO): Promise<JobResult> => {
  const { device } = await initBackend();
  const cfg = jobConfig(spec, 'FINETUNE');
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
