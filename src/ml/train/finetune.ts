/**
 * Fine-tuning pieces for the Trainer: batches of (image, label map), the focal Tversky loss of method.md on the
 * augmented batch, and the kidney Dice pooled over every validation pixel (counted by src/ml/metrics.ts labelCounts).
 */
import * as tf from '@tensorflow/tfjs';
import { augmentPair } from '../augment';
import { crossEntropy, focalTversky } from '../losses';
import type { FinetuneConfig } from '../presets';
import { diceFromCounts, labelCounts, LEFT_KIDNEY_LABEL, RIGHT_KIDNEY_LABEL } from '../metrics';
import { createRng } from '../random';
import { NUM_CLASSES } from '../unet';
import type { LossFn, MetricsFn } from './trainer';

/** Images [B,S,S,1] float32 in [0,1]; labels [B,S,S] int32 (0 background, 1 right, 2 left kidney). */
export interface SegmentationBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/** Make a batch from typed arrays (the tensors belong to the Trainer once yielded). */
export function segmentationBatch(images: Float32Array, labels: Int32Array | Uint8Array, batch: number, size: number): SegmentationBatch {
  return {
    images: tf.tensor4d(images, [batch, size, size, 1]),
    labels: tf.tensor3d(labels instanceof Int32Array ? labels : Int32Array.from(labels), [batch, size, size], 'int32'),
  };
}

type LossConfig = Pick<FinetuneConfig, 'alpha' | 'weights' | 'gamma' | 'smooth' | 'crossEntropyWeight'>;

/** Focal Tversky of softmax `probs` against int labels, plus `crossEntropyWeight` × cross-entropy where that is > 0. */
function segmentationLoss(cfg: LossConfig, labels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  const oneHot = tf.cast(tf.oneHot(labels, NUM_CLASSES), 'float32');
  const tversky = focalTversky(oneHot, probs, { alpha: cfg.alpha, weights: cfg.weights, gamma: cfg.gamma, smooth: cfg.smooth });
  const weight = cfg.crossEntropyWeight ?? 0;
  return weight > 0 ? (tf.add(tversky, tf.mul(crossEntropy(oneHot, probs), weight)) as tf.Scalar) : tversky;
}

/** The fine-tuning loss on softmax outputs; training batches are augmented with the step's seed (cfg.augment). */
export function finetuneLoss(cfg: LossConfig & Pick<FinetuneConfig, 'augment'>, augment = true): LossFn<SegmentationBatch> {
  return (model, batch, ctx) => {
    let { images, labels } = batch;
    if (augment && ctx.training) ({ images, labels } = augmentPair(images, labels, createRng(ctx.seed), cfg.augment));
    const probs = model.apply(images, { training: ctx.training }) as tf.Tensor;
    return segmentationLoss(cfg, labels, probs);
  };
}

const KIDNEYS = { right: RIGHT_KIDNEY_LABEL, left: LEFT_KIDNEY_LABEL } as const;

/**
 * Training: `finetuneLoss` (augmented). Validation: the same loss on the un-augmented batch, and from the
 * same forward pass the per-kidney counts |pred|, |true|, |pred ∩ true| that `metrics` then hands to the Trainer.
 * The Trainer averages metrics over batches, so mean(∩)/mean(…) = Σ∩/Σ…: `pooledDice` gives the Dice over all
 * validation pixels, not a mean of per-batch Dice (batches without kidney would count as 1).
 */
export function countingLoss(ft: FinetuneConfig): { loss: LossFn<SegmentationBatch>; metrics: MetricsFn<SegmentationBatch> } {
  const trainLoss = finetuneLoss(ft);
  let stash: { epoch: number; batch: number; counts: Record<string, number> } | null = null;
  const loss: LossFn<SegmentationBatch> = (model, batch, ctx) => {
    if (ctx.training) return trainLoss(model, batch, ctx);
    const probs = model.apply(batch.images, { training: false }) as tf.Tensor;
    const pred = tf.argMax(probs, -1).dataSync();
    const truth = batch.labels.dataSync();
    const counts: Record<string, number> = {};
    for (const [name, label] of Object.entries(KIDNEYS)) {
      const c = labelCounts(pred, truth, label);
      Object.assign(counts, { [`pred_${name}`]: c.pred, [`true_${name}`]: c.truth, [`both_${name}`]: c.both });
    }
    stash = { epoch: ctx.epoch, batch: ctx.batch, counts };
    return segmentationLoss(ft, batch.labels, probs);
  };
  const metrics: MetricsFn<SegmentationBatch> = (_model, _batch, ctx) => {
    if (!stash || stash.epoch !== ctx.epoch || stash.batch !== ctx.batch) throw new Error('validation metrics: no counts from this batch’s loss');
    return stash.counts;
  };
  return { loss, metrics };
}

/** The Dice of one kidney from an epoch's averaged counts (`countingLoss`): the Dice over all validation pixels. */
export function pooledDice(m: Record<string, unknown>, kidney: keyof typeof KIDNEYS): number {
  const count = (what: string) => (m[`${what}_${kidney}`] as number | undefined) ?? 0;
  return diceFromCounts({ pred: count('pred'), truth: count('true'), both: count('both') });
}
