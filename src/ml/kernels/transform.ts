/**
 * A `Transform` kernel (tf.image.transform) for the cpu backend and the native backend that copies its kernels.
 *
 * Why: tfjs-backend-cpu 4.22's Transform returns from inside its loop over the batch (dist/kernels/Transform.js: the
 * `return backend.makeTensorInfo(...)` sits in `for (let b = 0; ...)`), so only the first image of a batch is
 * transformed and every other image comes back as the fill value. Fine-tuning augments whole batches
 * (src/ml/augment.ts), so on cpu and native 15 of every 16 training images were blank with all-background labels:
 * models trained there learned slowly and lost kidney channels (found 2026-12-03: wasm, whose kernel is right,
 * reached VALIDATION Dice 0.46 after 25 steps where native was at 0.00; see test/ml/transform.test.ts).
 *
 * Semantics as TensorFlow's ImageProjectiveTransformV3 (tensorflow/core/kernels/image/image_ops.h): each output pixel
 * (x, y) of image b reads the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, with the
 * transform row b (or row 0 for a single row); coordinates outside the image follow `fillMode` (constant: the fill
 * value; nearest, reflect, wrap), then `nearest` or `bilinear` interpolation (bilinear reads the fill value for
 * neighbours outside the image in constant mode).
 */
import * as tf from '@tensorflow/tfjs';

type CpuLike = tf.KernelBackend & {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): tf.TensorInfo;
};
type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';

function mapCoord(c: number, len: number, mode: FillMode): number {
  if (mode === 'constant') return c;
  if (len <= 1) return 0;
  if (mode === 'nearest') return Math.min(Math.max(c, 0), len - 1);
  if (mode === 'wrap') {
    const w = ((c % len) + len) % len;
    return Math.min(Math.max(w, 0), len - 1);
  }
  // reflect: [abcd] → [dcba|abcd|dcba]
  const period = 2 * len;
  let r = ((c % period) + period) % period;
  if (r >= len) r = period - r - 1;
  return Math.min(Math.max(r, 0), len - 1);
}

export const transformKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const cpu = backend as CpuLike;
  const { image, transforms } = inputs as { image: tf.TensorInfo; transforms: tf.TensorInfo };
  const { interpolation, fillMode, fillValue, outputShape } = attrs as unknown as {
    interpolation: 'nearest' | 'bilinear';
    fillMode: FillMode;
    fillValue: number;
    outputShape?: [number, number] | null;
  };
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw new Error(`Transform: interpolation must be nearest or bilinear, got ${interpolation}`);
  const [batch, h, w, ch] = image.shape;
  const [oh, ow] = outputShape ?? [h, w];
  const src = cpu.data.get(image.dataId).values as tf.TypedArray;
  const t = cpu.data.get(transforms.dataId).values as tf.TypedArray;
  const out = tf.util.getTypedArrayFromDType(image.dtype as 'float32', batch * oh * ow * ch);
  out.fill(fillValue);
  const at = (b: number, y: number, x: number, c: number): number => (y >= 0 && y < h && x >= 0 && x < w ? src[((b * h + y) * w + x) * ch + c] : fillValue);
  for (let b = 0; b < batch; b++) {
    const o = transforms.shape[0] === 1 ? 0 : b * 8;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const k = t[o + 6] * x + t[o + 7] * y + 1;
        if (k === 0) continue;
        const inX = mapCoord((t[o] * x + t[o + 1] * y + t[o + 2]) / k, w, fillMode);
        const inY = mapCoord((t[o + 3] * x + t[o + 4] * y + t[o + 5]) / k, h, fillMode);
        const dst = ((b * oh + y) * ow + x) * ch;
        for (let c = 0; c < ch; c++) {
          if (interpolation === 'nearest') {
            out[dst + c] = at(b, Math.round(inY), Math.round(inX), c);
            continue;
          }
          const y0 = Math.floor(inY);
          const x0 = Math.floor(inX);
          const fy = inY - y0;
          const fx = inX - x0;
          const top = (1 - fx) * at(b, y0, x0, c) + fx * at(b, y0, x0 + 1, c);
          const bottom = (1 - fx) * at(b, y0 + 1, x0, c) + fx * at(b, y0 + 1, x0 + 1, c);
          out[dst + c] = (1 - fy) * top + fy * bottom;
        }
      }
    }
  }
  return cpu.makeTensorInfo([batch, oh, ow, ch], image.dtype, out);
};

/** Replace the backend's Transform with `transformKernel` (the cpu backend, and the native one that copies it). */
export function registerTransformKernel(backendName: string): void {
  if (tf.getKernel('Transform', backendName)) tf.unregisterKernel('Transform', backendName);
  tf.registerKernel({ kernelName: 'Transform', backendName, kernelFunc: transformKernel });
}
