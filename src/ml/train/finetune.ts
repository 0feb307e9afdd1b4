/**
 * Fine-tuning pieces for the Trainer: batches of (image, label map), the focal Tversky loss of method.md on the
 * augmented batch, and per-class hard Dice of the validation batches.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentPair } from '../augment';
import { focalTversky } from '../losses';
import type { FinetuneConfig } from '../presets';
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

/** Focal Tversky on softmax outputs; training batches are augmented with the step's seed (cfg.augment). */
export function finetuneLoss(cfg: Pick<FinetuneConfig, 'alpha' | 'weights' | 'gamma' | 'smooth' | 'augment'>, augment = true): LossFn<SegmentationBatch> {
  return (model, batch, ctx) => {
    let { images, labels } = batch;
    if (augment && ctx.training) ({ images, labels } = augmentPair(images, labels, createRng(ctx.seed), cfg.augment));
    const probs = model.apply(images, { training: ctx.training }) as tf.Tensor;
    const oneHot = tf.cast(tf.oneHot(labels, NUM_CLASSES), 'float32');
    return focalTversky(oneHot, probs, { alpha: cfg.alpha, weights: cfg.weights, gamma: cfg.gamma, smooth: cfg.smooth });
  };
}

/** Hard Dice of the right (1) and left (2) kidney over the whole validation batch: dice_right, dice_left. */
export const segmentationDice: MetricsFn<SegmentationBatch> = (model, batch) => {
  const [pred, truth] = tf.tidy(() => {
    const probs = model.apply(batch.images, { training: false }) as tf.Tensor;
    return [tf.argMax(probs, -1).dataSync(), batch.labels.dataSync()];
  });
  const dice = (label: number) => {
    let a = 0;
    let b = 0;
    let both = 0;
    for (let i = 0; i < pred.length; i++) {
      const p = pred[i] === label;
      const t = truth[i] === label;
      if (p) a++;
      if (t) b++;
      if (p && t) both++;
    }
    return a + b === 0 ? 1 : (2 * both) / (a + b);
  };
  return { dice_right: dice(1), dice_left: dice(2) };
};
