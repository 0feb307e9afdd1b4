/**
 * Seeded data augmentation (method.md): for fine-tuning, a random affine per sample (translation up to
 * `translate` · size along each axis, zoom in [scaleMin, scaleMax]) applied to the image (bilinear) and to its label
 * map (nearest, outside = background 0), then brightness/contrast each with probability `intensityProbability`:
 *   brightness  x ← x + δ,               δ ~ U(−brightness, brightness)
 *   contrast    x ← (x − μ) · c + μ,     c ~ U(contrastMin, contrastMax), μ = the sample's mean
 * For the global contrastive warm-up, `cropResizeViews` takes a random square crop of side in [cropMin, 1] · size
 * at a random position, resizes it back (bilinear), and applies brightness and contrast always (Chaitanya 2020).
 *
 * Every random number comes from the `rng` passed in, so a seed fixes the augmentation. Runs on tf.image.transform
 * and tf.image.cropAndResize, both of which tfjs-backend-wasm implements.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from './presets';
import { uniform } from './random';

export interface IntensityParams {
  probability: number;
  brightness: number;
  contrastMin: number;
  contrastMax: number;
}

/** Affine parameters of one sample: output pixel (u, v) reads input ((u − c)/zoom + c − tx, (v − c)/zoom + c − ty). */
export interface AffineParams {
  zoom: number;
  tx: number;
  ty: number;
}

/** Draw the affine parameters of a batch (in pixels). */
export function drawAffine(rng: () => number, batch: number, size: number, cfg: AugmentConfig): AffineParams[] {
  return Array.from({ length: batch }, () => ({
    zoom: uniform(rng, cfg.scaleMin, cfg.scaleMax),
    tx: uniform(rng, -cfg.translate, cfg.translate) * size,
    ty: uniform(rng, -cfg.translate, cfg.translate) * size,
  }));
}

/** Projective rows [a0,a1,a2,b0,b1,b2,0,0] (output → input coordinates) for tf.image.transform. */
export function affineMatrix(p: AffineParams, height: number, width: number): number[] {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const s = 1 / p.zoom;
  return [s, 0, cx - s * cx - p.tx, 0, s, cy - s * cy - p.ty, 0, 0];
}

/**
 * Fine-tuning augmentation of images [B,H,W,1] and label maps [B,H,W] (int32 or float): returns new tensors
 * (the inputs are not disposed), labels as int32.
 */
export function augmentPair(images: tf.Tensor4D, labels: tf.Tensor3D, rng: () => number, cfg: AugmentConfig): { images: tf.Tensor4D; labels: tf.Tensor3D } {
  const [b, h, w] = images.shape;
  const params = drawAffine(rng, b, h, cfg);
  const intensity = drawIntensity(rng, b, {
    probability: cfg.intensityProbability,
    brightness: cfg.brightness,
    contrastMin: cfg.contrastMin,
    contrastMax: cfg.contrastMax,
  });
  return tf.tidy(() => {
    const m = tf.tensor2d(params.map((p) => affineMatrix(p, h, w)));
    const img = tf.image.transform(images, m, 'bilinear', 'constant', 0);
    const lab4 = tf.reshape(tf.cast(labels, 'float32'), [b, h, w, 1]) as tf.Tensor4D;
    const lab = tf.cast(tf.reshape(tf.image.transform(lab4, m, 'nearest', 'constant', 0), [b, h, w]), 'int32') as tf.Tensor3D;
    return { images: applyIntensity(img, intensity), labels: lab };
  });
}

/** Per-sample brightness offsets and contrast factors (identity where the coin says no). */
export function drawIntensity(rng: () => number, batch: number, p: IntensityParams): { delta: number[]; contrast: number[] } {
  const delta: number[] = [];
  const contrast: number[] = [];
  for (let i = 0; i < batch; i++) {
    delta.push(rng() < p.probability ? uniform(rng, -p.brightness, p.brightness) : 0);
    contrast.push(rng() < p.probability ? uniform(rng, p.contrastMin, p.contrastMax) : 1);
  }
  return { delta, contrast };
}

/** x ← (x − μ_b) · c_b + μ_b + δ_b per sample. */
export function applyIntensity(x: tf.Tensor4D, p: { delta: number[]; contrast: number[] }): tf.Tensor4D {
  if (p.delta.every((d) => d === 0) && p.contrast.every((c) => c === 1)) return x.clone();
  return tf.tidy(() => {
    const b = x.shape[0];
    const mean = tf.mean(x, [1, 2, 3], true);
    const c = tf.tensor4d(p.contrast, [b, 1, 1, 1]);
    const d = tf.tensor4d(p.delta, [b, 1, 1, 1]);
    return tf.add(tf.add(tf.mul(tf.sub(x, mean), c), mean), d) as tf.Tensor4D;
  });
}

export interface CropResizeConfig {
  cropMin: number;
  brightness: number;
  contrastMin: number;
  contrastMax: number;
}

/** One augmented view per image for the global loss: random crop-and-resize, then brightness and contrast. */
export function cropResizeViews(images: tf.Tensor4D, rng: () => number, cfg: CropResizeConfig): tf.Tensor4D {
  const [b, h, w] = images.shape;
  const boxes: number[][] = [];
  for (let i = 0; i < b; i++) {
    const side = uniform(rng, cfg.cropMin, 1);
    const y0 = uniform(rng, 0, 1 - side);
    const x0 = uniform(rng, 0, 1 - side);
    boxes.push([y0, x0, y0 + side, x0 + side]);
  }
  const intensity = drawIntensity(rng, b, { probability: 1, ...cfg });
  return tf.tidy(() => {
    const crops = tf.image.cropAndResize(
      images,
      tf.tensor2d(boxes),
      tf.tensor1d(
        Array.from({ length: b }, (_, i) => i),
        'int32',
      ),
      [h, w],
      'bilinear',
    );
    return applyIntensity(crops, intensity);
  });
}
