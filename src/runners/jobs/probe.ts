/**
 * The pretraining diagnostic that ends a PRETRAIN run (issue 13): did pretraining learn anything a segmentation can
 * use, and did it move the weights at all?
 *
 * - Frozen-body probe: the segmentation U-Net with every encoder-decoder layer frozen; only the 1×1 segmentation
 *   head trains, `probe.steps` steps of `probe.batchSize` images (focal Tversky of PAPER's fine-tuning, augmented) on
 *   the first `probe.nLabeled` labelled TRAIN subjects of the run's seed (the nested subset fine-tuning uses). Once
 *   from the pretrained encoder-decoder (CLC) and once from the seeded initialisation (RI, what RI fine-tuning starts
 *   from); both then score the pooled kidney Dice (mean of right and left) on a fixed spread of VALIDATION images —
 *   never TEST. A linear read-out of frozen features is the usual test of a representation; here it says within
 *   minutes whether CLC features separate the kidneys better than random ones.
 * - Weight change: per layer group (enc0, enc1, …, dec0, …) the relative change of the conv kernels between the RI
 *   initialisation and the pretrained weights, ‖W_CLC − W_RI‖ / ‖W_RI‖ (Frobenius over the group's kernels).
 *
 * Metrics: probe_dice_clc, probe_dice_ri, and wchange_<group> plus wchange_median (median over groups).
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type PretrainConfig } from '../../ml/presets';
import { createRng, deriveSeed } from '../../ml/random';
import { Trainer, finetuneLoss, type SegmentationBatch } from '../../ml/train';
import { buildSegmentationModel, isHeadName } from '../../ml/unet';
import { decodeBundle, exportWeightsAsync, loadEncoderDecoder } from '../../ml/weights';
import type { JobIO, JobSpec } from '../../runs/job';
import { SubjectLoader, labelledSubset, segmentationSource, splitSubjects, type LoadedSubject } from './dataset';
import { throwIfCancelled } from './phase';

export interface ProbeResult {
  metrics: Record<string, number>;
}

/** Runs the probe; null (with a log line) when it is off or the cohort lacks labelled TRAIN or VALIDATION subjects. */
export async function runProbe(spec: JobSpec, io: JobIO, cfg: PretrainConfig, loader: SubjectLoader, pretrained: Uint8Array): Promise<ProbeResult | null> {
  const probe = cfg.probe;
  if (probe.steps === 0) return null;
  const labelled = splitSubjects(spec.subjects, 'TRAIN').filter((s) => s.maskBlobKey);
  const valSubjects = splitSubjects(spec.subjects, 'VALIDATION').filter((s) => s.maskBlobKey);
  if (labelled.length < probe.nLabeled || valSubjects.length === 0) {
    io.log(
      `probe skipped: needs ${probe.nLabeled} labelled TRAIN subjects (has ${labelled.length}) and a labelled VALIDATION subject (has ${valSubjects.length})`,
    );
    return null;
  }
  const train = await loader.loadAll(labelledSubset(spec.subjects, probe.nLabeled, spec.seed));
  const val = await loader.loadAll(valSubjects);
  const unet = { size: cfg.image.size, model: cfg.model, seed: spec.seed };

  const ri = buildSegmentationModel(unet);
  const riWeights = await exportWeightsAsync(ri);
  ri.dispose();
  const metrics: Record<string, number> = {
    probe_dice_clc: await probeDice(io, unet, pretrained, train, val, cfg, spec.seed),
    probe_dice_ri: await probeDice(io, unet, null, train, val, cfg, spec.seed),
    ...weightChange(riWeights, pretrained),
  };
  return { metrics };
}

async function probeDice(
  io: JobIO,
  unet: Parameters<typeof buildSegmentationModel>[0],
  pretrained: Uint8Array | null,
  train: LoadedSubject[],
  val: LoadedSubject[],
  cfg: PretrainConfig,
  seed: number,
): Promise<number> {
  throwIfCancelled(io);
  const model = buildSegmentationModel(unet);
  if (pretrained) loadEncoderDecoder(model, pretrained);
  for (const layer of model.layers) if (!isHeadName(layer.name)) layer.trainable = false;
  const unfrozen = model.trainableWeights.filter((w) => !isHeadName(w.originalName)).map((w) => w.originalName);
  if (unfrozen.length) throw new Error(`probe: the encoder-decoder is not frozen (${unfrozen.slice(0, 3).join(', ')}…)`);
  const probe = cfg.probe;
  const trainer = new Trainer<SegmentationBatch>({
    model,
    loss: finetuneLoss(PRESETS.PAPER.finetune),
    train: segmentationSource(train, probe.batchSize, true, probe.steps),
    epochs: 1,
    lr: probe.lr,
    seed: deriveSeed(seed, 'probe'),
    keepBest: false,
    signal: io.signal,
  });
  try {
    await trainer.run();
    throwIfCancelled(io);
    return await pooledKidneyDice(model, val, probe.batchSize, probe.maxValidationImages);
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/**
 * Dice of right and left kidney over all pixels of the validation images, averaged over the two kidneys. Reads are
 * awaited: on WebGPU a synchronous read is refused (src/ml/reads.ts).
 */
async function pooledKidneyDice(model: tf.LayersModel, val: LoadedSubject[], batchSize: number, maxImages: number): Promise<number> {
  const counts = { 1: { p: 0, t: 0, both: 0 }, 2: { p: 0, t: 0, both: 0 } };
  for (const batch of segmentationSource(val, batchSize, false, maxImages)({ epoch: 0, seed: 0, rng: createRng(0) }) as Iterable<SegmentationBatch>) {
    const predicted = tf.tidy(() => tf.argMax(model.apply(batch.images, { training: false }) as tf.Tensor, -1));
    const [pred, truth] = await Promise.all([predicted.data(), batch.labels.data()]);
    tf.dispose([predicted, batch.images, batch.labels]);
    for (let i = 0; i < pred.length; i++) {
      for (const k of [1, 2] as const) {
        const a = pred[i] === k;
        const b = truth[i] === k;
        if (a) counts[k].p++;
        if (b) counts[k].t++;
        if (a && b) counts[k].both++;
      }
    }
  }
  const dice = (c: { p: number; t: number; both: number }) => (c.p + c.t === 0 ? 1 : (2 * c.both) / (c.p + c.t));
  return (dice(counts[1]) + dice(counts[2])) / 2;
}

/** ‖W_after − W_before‖ / ‖W_before‖ over the conv kernels of each layer group (name prefix before "_"). */
export function weightChange(before: Uint8Array, after: Uint8Array): Record<string, number> {
  const a = new Map(decodeBundle(after).arrays.map((x) => [x.name, x.values]));
  const sums = new Map<string, { diff: number; base: number }>();
  for (const w of decodeBundle(before).arrays) {
    if (isHeadName(w.name) || !w.name.endsWith('kernel')) continue;
    const v = a.get(w.name);
    if (!v) continue;
    const group = w.name.split('_')[0];
    const acc = sums.get(group) ?? { diff: 0, base: 0 };
    for (let i = 0; i < w.values.length; i++) {
      acc.diff += (v[i] - w.values[i]) ** 2;
      acc.base += w.values[i] ** 2;
    }
    sums.set(group, acc);
  }
  const out: Record<string, number> = {};
  for (const [group, { diff, base }] of sums) out[`wchange_${group}`] = base > 0 ? Math.sqrt(diff / base) : 0;
  const values = Object.values(out).sort((x, y) => x - y);
  if (values.length) out.wchange_median = values.length % 2 ? values[(values.length - 1) / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  return out;
}
