/**
 * Conv2DBackpropFilter for backends that lack it (tfjs-backend-wasm 4.22), built from kernels XNNPACK runs fast.
 *
 * For y = conv2d(x, W) with x [B,H,W,Ci], W [kh,kw,Ci,Co], stride s and top/left padding (pt, pl):
 *   dW[p,q,ci,co] = Σ_{b,i,j} xpad[b, s·i + p, s·j + q, ci] · dy[b,i,j,co]
 * 1. Non-overlapping windows (kernel = stride, no padding: the 2×2 stride-2 convs): every input pixel belongs to
 *    exactly one window, so dW is one matrix product: x regrouped as [p][N, (q,ci)] (N = B·h·w) times dy [N, Co].
 * 2. Otherwise the sum is itself a convolution over the spatial axes with batch and channel swapped:
 *    input xᵀ [Ci,H,W,B], "filter" dyᵀ [h,w,B,Co] dilated by s, stride 1, explicit padding (pt, pl, and at the far
 *    side enough zeros to reach kh outputs) → [Ci,kh',kw',Co], sliced to kh×kw and transposed to [kh,kw,Ci,Co].
 * Dilated forward convs have no gradient in tfjs, so dilation is always 1 here.
 */
import * as tf from '@tensorflow/tfjs';
import { Attrs, Backend, free, reshape, runKernel } from './util';

export function makeConv2dBackpropFilter(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') throw new Error(`Conv2DBackpropFilter on ${backendName}: only NHWC is supported`);
    const b = backend as Backend;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const [kh, kw, ci, co] = filterShape;
    const [batch, inH, inW] = x.shape;
    const { outHeight: h, outWidth: w, strideHeight: sh, strideWidth: sw } = info;
    const { top: pt, left: pl } = info.padInfo;
    if (kh === sh && kw === sw && pt === 0 && pl === 0 && inH === h * sh && inW === w * sw) {
      return nonOverlapping(backendName, b, x, dy, [kh, kw, ci, co], batch * h * w);
    }
    return viaConv(backendName, b, x, dy, { kh, kw, ci, co, h, w, sh, sw, pt, pl, inH, inW });
  };
}

function nonOverlapping(
  name: string,
  b: Backend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  [kh, kw, ci, co]: number[],
  n: number,
): tf.TensorInfo {
  const [batch, inH, inW] = x.shape;
  const h = inH / kh;
  const w = inW / kw;
  // x[b, kh·i + p, kw·j + q, c] viewed as [B·h, p, w, (q, c)] → [p, B·h, w, (q, c)] → [p, N, kw·Ci]
  const x4 = reshape(name, b, x, [batch * h, kh, w, kw * ci]);
  const xt = runKernel(name, 'Transpose', b, { x: x4 }, { perm: [1, 0, 2, 3] });
  const a = reshape(name, b, xt, [kh, n, kw * ci]);
  const dy3 = reshape(name, b, dy, [1, n, co]);
  const prod = runKernel(name, 'BatchMatMul', b, { a, b: dy3 }, { transposeA: true, transposeB: false });
  const out = reshape(name, b, prod, [kh, kw, ci, co]);
  free(b, x4, xt, a, dy3, prod);
  return out;
}

function viaConv(
  name: string,
  b: Backend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  s: { kh: number; kw: number; ci: number; co: number; h: number; w: number; sh: number; sw: number; pt: number; pl: number; inH: number; inW: number },
): tf.TensorInfo {
  const xt = runKernel(name, 'Transpose', b, { x }, { perm: [3, 1, 2, 0] }); // [Ci,H,W,B]
  const dyt = runKernel(name, 'Transpose', b, { x: dy }, { perm: [1, 2, 0, 3] }); // [h,w,B,Co]
  const pb = Math.max(0, s.kh + s.sh * (s.h - 1) - s.inH - s.pt);
  const pr = Math.max(0, s.kw + s.sw * (s.w - 1) - s.inW - s.pl);
  const conv = runKernel(name, 'Conv2D', b, { x: xt, filter: dyt }, {
    strides: [1, 1],
    dilations: [s.sh, s.sw],
    pad: [
      [0, 0],
      [s.pt, pb],
      [s.pl, pr],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as Attrs);
  free(b, xt, dyt);
  let sliced = conv;
  if (conv.shape[1] !== s.kh || conv.shape[2] !== s.kw) {
    sliced = runKernel(name, 'Slice', b, { x: conv }, { begin: [0, 0, 0, 0], size: [s.ci, s.kh, s.kw, s.co] });
    free(b, conv);
  }
  const out = runKernel(name, 'Transpose', b, { x: sliced }, { perm: [1, 2, 0, 3] }); // [kh,kw,Ci,Co]
  free(b, sliced);
  return out;
}
