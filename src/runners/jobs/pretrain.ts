/**
 * The PRETRAIN job (method.md, "Pretraining (CLC)"): phase "constraints" (constraint maps of the TRAIN and
 * VALIDATION subjects, patch labels and body-mask anchor candidates, ./constraints.ts), phase "global" (G^D warm-up
 * of encoder + global head at `global.lr` for `global.epochs` × `global.maxBatchesPerEpoch` steps, reduce-on-plateau
 * on the training loss when `global.plateau` is set; `global.epochs` 0 skips it), phase "clc" (CLC loss on the local
 * head over the whole encoder-decoder at `clc.lr`, the validation CLC loss on the VALIDATION subjects driving its own
 * reduce-on-plateau and the best checkpoint), phase "probe" (./probe.ts: frozen-body probe from this initialisation
 * and from RI's, and the weight change per layer group).
 * Between the two training phases the encoder goes from the global model to the local one by layer name; the local
 * model's decoder and head start from their seeded initialisation.
 *
 * Reports: epochs 1…G are "global" ({ global_loss, lr }), G+1…G+C are "clc" ({ clc_loss, val_clc_loss, lr }), and
 * epoch G+C+1 is "probe" ({ probe_dice_clc, probe_dice_ri, wchange_<group>, wchange_median }) when the probe runs;
 * a checkpoint after every epoch. Resume continues the checkpoint's phase after its epoch (a run stopped in the
 * probe redoes the probe); a run resumed anywhere ends with the same weights as an uninterrupted one on the same
 * backend (the Trainer is deterministic per seed).
 *
 * Label use: the constraint maps read the manual masks only with constraints.kidneyBox PER_SLICE (logged); the
 * probe reads the masks of its N TRAIN and the VALIDATION subjects, to score, never to pretrain.
 *
 * Result: the encoder-decoder weights (heads removed) of the best validation CLC loss.
 */
import { initBackend } from '../../ml/backend';
import { pretrainProgressEpochs, type PretrainConfig } from '../../ml/presets';
import { withPretrainDefaults } from '../../ml/resolve-config';
import { deriveSeed } from '../../ml/random';
import { Trainer, clcLossFn, globalLoss, type ClcBatch, type GlobalBatch, type LossFn } from '../../ml/train';
import { buildGlobalPretrainModel, buildLocalPretrainModel, isHeadName } from '../../ml/unet';
import { decodeBundle, encodeBundle, exportWeightsAsync, loadEncoderDecoder } from '../../ml/weights';
import { jobConfig, type Job, type JobIO, type JobResult, type JobSpec } from '../../runs/job';
import { buildConstraintIndex, loadPatchLabels } from './constraints';
import { SubjectLoader, splitSubjects } from './dataset';
import { decodeJobCheckpoint, encodeJobCheckpoint, epochReporter, runPhase, throwIfCancelled, type JobCheckpoint } from './phase';
import { runProbe } from './probe';
import { clcSource, globalSource } from './pretrain-data';

export const pretrainJob: Job = async (spec: JobSpec, io: JobIO): Promise<JobResult> => {
  const { device } = await initBackend();
  // a config stored by an earlier version runs as it did then (src/ml/resolve-config.ts)
  const cfg = withPretrainDefaults(jobConfig(spec, 'PRETRAIN'));
  const size = cfg.image.size;
  const G = cfg.global.epochs;
  const C = cfg.clc.epochs;
  const total = pretrainProgressEpochs(cfg);
  const resume: JobCheckpoint | null = spec.resumeCheckpointKey ? decodeJobCheckpoint(await io.getBlob(spec.resumeCheckpointKey), 'PRETRAIN', spec.seed) : null;

  const loader = new SubjectLoader(io, size);
  const train = await loader.loadAll(splitSubjects(spec.subjects, 'TRAIN'));
  const val = await loader.loadAll(splitSubjects(spec.subjects, 'VALIDATION'));
  if (train.length === 0) throw new Error(`pretraining needs TRAIN subjects with a ${spec.contrast} series; the run has none`);

  io.phase('constraints', total);
  throwIfCancelled(io);
  const constraintsKey = resume?.meta.constraintsKey ?? (await buildConstraintIndex(io, [...train, ...val], cfg.constraints, size));
  if (cfg.constraints.kidneyBox === 'PER_SLICE')
    io.log('constraints.kidneyBox PER_SLICE: the constraint maps use the manual kidney masks (label use, as the renal code)');
  const patchLabels = await loadPatchLabels(io, constraintsKey, [...train, ...val], cfg.clc.patchSize);
  const body = [...patchLabels.values()].map((p) => p.bodyFraction);
  io.log(`anchor candidates (body patches): ${((100 * body.reduce((a, b) => a + b, 0)) / Math.max(1, body.length)).toFixed(1)}% of the patches on average`);
  const meta = { kind: 'PRETRAIN' as const, seed: spec.seed, constraintsKey };
  const unet = { size, model: cfg.model, seed: spec.seed };

  // Global warm-up (skipped when resuming in the CLC phase: its result lives in the CLC checkpoint).
  let encoder: Uint8Array | null = null;
  if (G > 0 && (!resume || resume.meta.phase === 'global')) {
    const gModel = buildGlobalPretrainModel(unet);
    const gTrainer = new Trainer<GlobalBatch>({
      model: gModel,
      loss: globalLoss(cfg.global),
      train: globalSource(train, cfg.global),
      epochs: G,
      lr: cfg.global.lr,
      plateau: cfg.global.plateau ?? undefined,
      seed: deriveSeed(spec.seed, 'global'),
      maxBatchesPerEpoch: cfg.global.maxBatchesPerEpoch,
      keepBest: false,
      signal: io.signal,
      onEpoch: epochReporter({ io, phase: 'global', offset: 0, total, meta, reportBest: false, metrics: (m) => ({ global_loss: m.train_loss, lr: m.lr }) }),
    });
    try {
      if (resume) await gTrainer.restoreState(resume.trainerState);
      io.phase('global', total);
      await runPhase(gTrainer, { io, phase: 'global', offset: 0 });
      encoder = await exportWeightsAsync(gModel);
    } finally {
      gTrainer.dispose();
      gModel.dispose();
    }
  }

  const lModel = buildLocalPretrainModel(unet);
  const cTrainer = new Trainer<ClcBatch>({
    model: lModel,
    loss: fixedValidationAnchors(clcLossFn(cfg.clc), spec.seed),
    train: clcSource(train, patchLabels, cfg.clc, true),
    validation: val.length > 0 ? clcSource(val, patchLabels, cfg.clc, false) : undefined,
    epochs: C,
    lr: cfg.clc.lr,
    plateau: cfg.clc.plateau,
    seed: deriveSeed(spec.seed, 'clc'),
    maxBatchesPerEpoch: cfg.clc.maxBatchesPerEpoch,
    signal: io.signal,
    onEpoch: epochReporter({
      io,
      phase: 'clc',
      offset: G,
      total,
      meta,
      reportBest: true,
      metrics: (m): Record<string, number> =>
        m.val_loss === null ? { clc_loss: m.train_loss, lr: m.lr } : { clc_loss: m.train_loss, val_clc_loss: m.val_loss, lr: m.lr },
    }),
  });
  try {
    if (encoder) loadEncoderDecoder(lModel, encoder, true);
    else if (resume) await cTrainer.restoreState(resume.trainerState);
    io.phase('clc', total);
    await runPhase(cTrainer, { io, phase: 'clc', offset: G });
    const best = withoutHeads(cTrainer.bestWeights() ?? (await exportWeightsAsync(lModel)));
    const finalWeightsKey = await io.putBlob(best);
    const probe = await runProbePhase(spec, io, cfg, loader, best, cTrainer, { constraintsKey, total, epoch: G + C + 1 });
    if (probe)
      io.log(
        `probe: Dice CLC ${probe.probe_dice_clc.toFixed(3)}, RI ${probe.probe_dice_ri.toFixed(3)}; median kernel change ${(100 * (probe.wchange_median ?? 0)).toFixed(2)}%`,
      );
    return { finalWeightsKey, evaluation: null, device };
  } finally {
    cTrainer.dispose();
    lModel.dispose();
  }
};

/** The probe as the run's last epoch: its metrics, and as checkpoint the CLC trainer's final state (resume redoes it). */
async function runProbePhase(
  spec: JobSpec,
  io: JobIO,
  cfg: PretrainConfig,
  loader: SubjectLoader,
  pretrained: Uint8Array,
  cTrainer: Trainer<ClcBatch>,
  at: { constraintsKey: string; total: number; epoch: number },
): Promise<Record<string, number> | null> {
  if (cfg.probe.steps === 0) return null;
  io.phase('probe', at.total);
  const result = await runProbe(spec, io, cfg, loader, pretrained);
  if (!result) return null;
  const state = await cTrainer.exportState();
  const checkpointKey = await io.putBlob(
    encodeJobCheckpoint({ kind: 'PRETRAIN', seed: spec.seed, constraintsKey: at.constraintsKey, phase: 'clc', epochInPhase: cTrainer.epoch }, state),
  );
  await io.epochEnd({ phase: 'probe', epoch: at.epoch, epochs: at.total, metrics: result.metrics, checkpointKey, bestCheckpointKey: null });
  return result.metrics;
}

/**
 * The run's config; configs stored before issue 13 (no probe section, topK instead of topKFraction, maskWithLabels)
 * are read with the values they ran with.
 */
/**
 * Validation batch b draws the same anchors every epoch (the Trainer's validation seeds change per epoch), so the
 * validation CLC loss that drives the schedule and the best checkpoint moves with the model, not with the draw.
 */
function fixedValidationAnchors(loss: LossFn<ClcBatch>, seed: number): LossFn<ClcBatch> {
  return (model, batch, ctx) => loss(model, batch, ctx.training ? ctx : { ...ctx, seed: deriveSeed(seed, `val-anchors:${ctx.batch}`) });
}

/** Checkpoint bytes with the pretraining heads dropped: what fine-tuning loads (loadEncoderDecoder). */
function withoutHeads(bytes: Uint8Array): Uint8Array {
  const { meta, arrays } = decodeBundle(bytes);
  return encodeBundle(
    arrays.filter((a) => !isHeadName(a.name)),
    meta,
  );
}
