/**
 * Pretraining pieces for the Trainer (method.md, "Pretraining (CLC)"):
 * - global warm-up (Chaitanya et al. 2020, G^D): a batch holds one slice per partition from several volumes; the
 *   loss sees each slice and two augmented views of it (random crop-and-resize, brightness, contrast: `cropResizeViews`
 *   with the step's seed), all labelled with the slice's partition, through `globalContrastiveLoss`;
 * - CLC: local-head features of the batch's slices against their patch labels (majority constraint-map cluster per
 *   p×p patch, −1 = background) through `clcLoss`, anchors drawn with the step's seed.
 */
import * as tf from '@tensorflow/tfjs';
import { cropResizeViews } from '../augment';
import { clcLoss, globalContrastiveLoss } from '../losses';
import { clcTopK, type ClcConfig, type GlobalConfig } from '../presets';
import { createRng } from '../random';
import type { LossFn } from './trainer';

/** Images [N,S,S,1] (one slice per partition per volume) and each row's partition id. */
export interface GlobalBatch {
  images: tf.Tensor4D;
  partitions: Int32Array;
}

/**
 * Images [B,S,S,1], patch labels [B,S/p,S/p] int32 (majority constraint cluster, −1 = none) and, optionally, the
 * anchor candidates [B,S/p,S/p] (1 = body patch; src/ml/constraint-maps/body-mask.ts).
 */
export interface ClcBatch {
  images: tf.Tensor4D;
  patchLabels: tf.Tensor3D;
  anchorCandidates?: Uint8Array;
}

/** G^D loss over the slices and two augmented views of each (3·N embeddings). */
export function globalLoss(cfg: Pick<GlobalConfig, 'tau' | 'brightness' | 'contrastMin' | 'contrastMax' | 'cropMin'>): LossFn<GlobalBatch> {
  return (model, batch, ctx) => {
    const rng = createRng(ctx.seed);
    const aug = { cropMin: cfg.cropMin, brightness: cfg.brightness, contrastMin: cfg.contrastMin, contrastMax: cfg.contrastMax };
    const v1 = cropResizeViews(batch.images, rng, aug);
    const v2 = cropResizeViews(batch.images, rng, aug);
    const all = tf.concat([batch.images, v1, v2], 0);
    const n = batch.partitions.length;
    const parts = new Int32Array(3 * n);
    for (let i = 0; i < 3; i++) parts.set(batch.partitions, i * n);
    const embeddings = model.apply(all, { training: ctx.training }) as tf.Tensor;
    return globalContrastiveLoss(embeddings, parts, { tau: cfg.tau });
  };
}

/** CLC loss of the local-head features; k = round(topKFraction · patches per image) (`clcTopK`). */
export function clcLossFn(cfg: Pick<ClcConfig, 'tau' | 'topKFraction' | 'anchors' | 'patchSize' | 'anchorSampling'>): LossFn<ClcBatch> {
  return (model, batch, ctx) => {
    const features = model.apply(batch.images, { training: ctx.training }) as tf.Tensor;
    const [, hp, wp] = batch.patchLabels.shape;
    return clcLoss(features, batch.patchLabels, {
      tau: cfg.tau,
      topK: clcTopK(cfg.topKFraction, hp * wp),
      anchors: cfg.anchors,
      patchSize: cfg.patchSize || batch.images.shape[1] / hp, // 0 = auto: the grid of the labels fixes it
      anchorSampling: cfg.anchorSampling,
      anchorCandidates: batch.anchorCandidates ?? null,
      seed: ctx.seed,
    });
  };
}
