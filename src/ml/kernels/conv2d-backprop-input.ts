/**
 * A fast Conv2DBackpropInput (the input gradient of conv2d, and the forward pass of conv2dTranspose).
 *
 * For y = conv2d(x, W), W [kh,kw,Ci,Co], dy [B,h,w,Co] → dx [B,H,W,Ci]:
 * 1. Stride 1: dx is the "full" correlation of dy with W rotated by 180° and its channel axes swapped:
 *    dx = conv2d(dy, reverse(W, [0,1]) transposed to [kh,kw,Co,Ci], stride 1,
 *                padding (kh−1−pt, kh−1−pb) × (kw−1−pl, kw−1−pr)).
 * 2. Non-overlapping windows (kernel = stride, no padding; the 2×2 stride-2 up-sampling of the U-Net):
 *    dx[b, kh·i+p, kw·j+q, ci] = Σ_co dy[b,i,j,co] · W[p,q,ci,co], i.e. dy [N,Co] · Wᵀ[co,(p,q,ci)] → [N, kh·kw·Ci],
 *    then DepthToSpace(kh) when kh = kw (or a transpose otherwise).
 * 3. Anything else falls back to the backend's own kernel (naive on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { Attrs, Backend, free, reshape, runKernel } from './util';

export function makeConv2dBackpropInput(backendName: string, fallback: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    const b = backend as Backend;
    if (dataFormat !== 'NCHW') {
      const [kh, kw, ci, co] = filter.shape;
      const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
      const { top: pt, bottom: pb, left: pl, right: pr } = info.padInfo;
      const [batch, inH, inW] = inputShape;
      const h = dy.shape[1];
      const w = dy.shape[2];
      if (info.strideHeight === 1 && info.strideWidth === 1) {
        const padding = [kh - 1 - pt, kh - 1 - pb, kw - 1 - pl, kw - 1 - pr];
        if (padding.every((p) => p >= 0)) return strideOne(backendName, b, dy, filter, padding);
      }
      if (kh === info.strideHeight && kw === info.strideWidth && pt === 0 && pl === 0 && inH === h * kh && inW === w * kw) {
        return nonOverlapping(backendName, b, dy, filter, [batch, h, w], [kh, kw, ci, co]);
      }
    }
    if (!fallback) throw new Error(`Conv2DBackpropInput on ${backendName}: unsupported case and no fallback kernel`);
    return fallback(args);
  };
}

function strideOne(name: string, b: Backend, dy: tf.TensorInfo, filter: tf.TensorInfo, p: number[]): tf.TensorInfo {
  const flipped = runKernel(name, 'Reverse', b, { x: filter }, { dims: [0, 1] });
  const swapped = runKernel(name, 'Transpose', b, { x: flipped }, { perm: [0, 1, 3, 2] });
  free(b, flipped);
  const out = runKernel(name, 'Conv2D', b, { x: dy, filter: swapped }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [
      [0, 0],
      [p[0], p[1]],
      [p[2], p[3]],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as Attrs);
  free(b, swapped);
  return out;
}

function nonOverlapping(
  name: string,
  b: Backend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  [batch, h, w]: number[],
  [kh, kw, ci, co]: number[],
): tf.TensorInfo {
  const n = batch * h * w;
  // wasm's BatchMatMul is fast only without transposes: transpose the (small) filter to [Co, (p, q, ci)] first.
  const a = reshape(name, b, dy, [n, co]);
  const ft = runKernel(name, 'Transpose', b, { x: filter }, { perm: [3, 0, 1, 2] });
  const wt = reshape(name, b, ft, [co, kh * kw * ci]);
  const prod = runKernel(name, 'BatchMatMul', b, { a, b: wt }, { transposeA: false, transposeB: false });
  free(b, a, ft, wt);
  if (kh === kw) {
    const d = reshape(name, b, prod, [batch, h, w, kh * kw * ci]);
    const out = runKernel(name, 'DepthToSpace', b, { x: d }, { blockSize: kh, dataFormat: 'NHWC' });
    free(b, prod, d);
    return out;
  }
  const six = reshape(name, b, prod, [batch * h, w, kh, kw * ci]);
  const t = runKernel(name, 'Transpose', b, { x: six }, { perm: [0, 2, 1, 3] }); // [B·h, kh, w, (kw, ci)]
  const out = reshape(name, b, t, [batch, h * kh, w * kw, ci]);
  free(b, prod, six, t);
  return out;
}
