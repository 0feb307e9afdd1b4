/**
 * Conv2DBackpropFilter for backends that lack it (tfjs-backend-wasm 4.22), built from kernels XNNPACK runs fast.
 *
 * For y = conv2d(x, W) with x [B,H,W,Ci], W [kh,kw,Ci,Co], stride s and top/left padding (pt, pl):
 *   dW[p,q,ci,co] = Σ_{b,i,j} xpad[b, s·i + p, s·j + q, ci] · dy[b,i,j,co]
 * wasm's BatchMatMul is only fast (XNNPACK) for one un-transposed [M,K]·[K,N] product, so every path below ends
 * in exactly that form with the N = B·h·w pixels as the inner dimension:
 * 1. Stride 1, same-size output: dW[(p,q,ci), co] = colᵀ[(p,q,ci), m] · dyframe[m, co] over zero-padded frames,
 *    where every row of colᵀ is one contiguous copy (see strideOne); in batch chunks so colᵀ stays ≤ 64 MB.
 * 2. Non-overlapping windows (kernel = stride, no padding: the 2×2 stride-2 up-sampling convs): every input pixel is
 *    in exactly one window, so colᵀ is just x regrouped: [B·h, p, w, (q,ci)] → [p, (q,ci), B·h, w].
 * 3. Otherwise (strided overlapping windows; unused by the U-Net): a convolution over the spatial axes with batch and
 *    channel swapped, xᵀ [Ci,H,W,B] ⋆ dyᵀ [h,w,B,Co] dilated by s → [Ci,kh,kw,Co] (sliced, transposed).
 * Dilated forward convs have no gradient in tfjs, so dilation is always 1 here.
 */
import * as tf from '@tensorflow/tfjs';
import { Attrs, Backend, free, memoryOf, reshape, runKernel } from './util';

/** Largest transposed im2col built at once, in floats (64 MB). */
let MAX_COL_FLOATS = 16 * 1024 * 1024;

/** Change the im2col budget (tests use a tiny one to exercise the batch chunking); returns the previous value. */
export function setColumnBudget(floats: number): number {
  const previous = MAX_COL_FLOATS;
  MAX_COL_FLOATS = floats;
  return previous;
}

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
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
    const [kh, kw, ci, co] = filterShape;
    const [, inH, inW] = x.shape;
    const { outHeight: h, outWidth: w, strideHeight: sh, strideWidth: sw } = info;
    const { top: pt, left: pl } = info.padInfo;
    if (sh === 1 && sw === 1 && h === inH && w === inW) {
      return strideOne(backendName, b, x, dy, filterShape, pt, pl);
    }
    if (kh === sh && kw === sw && pt === 0 && pl === 0 && inH === h * sh && inW === w * sw) {
      return nonOverlapping(backendName, b, x, dy, filterShape);
    }
    return viaConv(backendName, b, x, dy, { kh, kw, ci, co, h, w, sh, sw, pt, pl, inH, inW });
  };
}

/**
 * Same-size stride-1 conv (the 3×3 'same' and 1×1 convs of the U-Net). With every sample laid in a zero-padded
 * frame of Hp × Wp = (H + kh − 1) × (W + kw − 1) pixels and dy placed at the frame's top-left (zeros elsewhere),
 * the tap (p, q) is a constant shift off = p·Wp + q of the flat pixel index m:
 *   dW[p,q,c,:] = Σ_m xpadᵀ[c, m + off] · dyframe[m, :]
 * so each row of colᵀ is one contiguous copy of a row of xpadᵀ [Ci, B·Hp·Wp], and one matmul with the framed dy
 * gives all taps. Reads that run past a frame meet zero rows of dyframe (and a zero tail after the last channel).
 */
function strideOne(name: string, b: Backend, x: tf.TensorInfo, dy: tf.TensorInfo, [kh, kw, ci, co]: number[], pt: number, pl: number): tf.TensorInfo {
  const [batch, H, W] = x.shape;
  const hp = H + kh - 1;
  const wp = W + kw - 1;
  const frame = hp * wp;
  const tail = (kh - 1) * wp + (kw - 1);
  const xpt = paddedTranspose(name, b, x, hp, wp, pt, pl, tail);
  const dyFramed = runKernel(
    name,
    'PadV2',
    b,
    { x: dy },
    {
      paddings: [
        [0, 0],
        [0, kh - 1],
        [0, kw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const chunk = Math.max(1, Math.min(batch, Math.floor(MAX_COL_FLOATS / (kh * kw * ci * frame))));
  let acc: tf.TensorInfo | null = null;
  for (let b0 = 0; b0 < batch; b0 += chunk) {
    const nb = Math.min(chunk, batch - b0);
    const col = shiftedRows(name, b, xpt, [kh, kw, ci], batch * frame + tail, wp, b0 * frame, nb * frame);
    const dyPart = nb === batch ? reshape(name, b, dyFramed, [nb * frame, co]) : sliceRows(name, b, dyFramed, b0 * frame, nb * frame, co);
    const prod = runKernel(name, 'BatchMatMul', b, { a: col, b: dyPart }, { transposeA: false, transposeB: false });
    free(b, col, dyPart);
    if (acc) {
      const sum = runKernel(name, 'Add', b, { a: acc, b: prod });
      free(b, acc, prod);
      acc = sum;
    } else {
      acc = prod;
    }
  }
  free(b, xpt, dyFramed);
  const out = reshape(name, b, acc as tf.TensorInfo, [kh, kw, ci, co]);
  free(b, acc as tf.TensorInfo);
  return out;
}

/** x [B,H,W,C] → xpadᵀ [C, B·Hp·Wp + tail]: channel-major, each sample in a zero frame at offset (pt, pl). */
function paddedTranspose(name: string, b: Backend, x: tf.TensorInfo, hp: number, wp: number, pt: number, pl: number, tail: number): tf.TensorInfo {
  const [batch, H, W, C] = x.shape;
  const rowLen = batch * hp * wp + tail;
  const mem = memoryOf(name, b);
  const out = mem.alloc([C, rowLen]);
  const src = mem.read(x);
  const dst = out.view();
  dst.fill(0);
  let i = 0;
  for (let s = 0; s < batch; s++) {
    for (let r = 0; r < H; r++) {
      const base = (s * hp + r + pt) * wp + pl;
      for (let j = 0; j < W; j++) {
        let o = base + j;
        for (let c = 0; c < C; c++, i++, o += rowLen) dst[o] = src[i];
      }
    }
  }
  return out.info;
}

/** colᵀ[(p·kw + q)·C + c, m] = xpt[c, start + m + p·wp + q] for m < count: one contiguous copy per row. */
function shiftedRows(
  name: string,
  b: Backend,
  xpt: tf.TensorInfo,
  [kh, kw, C]: number[],
  rowLen: number,
  wp: number,
  start: number,
  count: number,
): tf.TensorInfo {
  const mem = memoryOf(name, b);
  const out = mem.alloc([kh * kw * C, count]);
  const src = mem.read(xpt);
  const dst = out.view();
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      for (let c = 0; c < C; c++) {
        const from = c * rowLen + start + p * wp + q;
        dst.set(src.subarray(from, from + count), ((p * kw + q) * C + c) * count);
      }
    }
  }
  return out.info;
}

/** Rows [start, start + count) of x viewed as [rows, width] (a contiguous copy). */
function sliceRows(name: string, b: Backend, x: tf.TensorInfo, start: number, count: number, width: number): tf.TensorInfo {
  const mem = memoryOf(name, b);
  const out = mem.alloc([count, width]);
  const src = mem.read(x);
  out.view().set(src.subarray(start * width, (start + count) * width));
  return out.info;
}

function nonOverlapping(name: string, b: Backend, x: tf.TensorInfo, dy: tf.TensorInfo, [kh, kw, ci, co]: number[]): tf.TensorInfo {
  const [batch, inH, inW] = x.shape;
  const h = inH / kh;
  const w = inW / kw;
  const n = batch * h * w;
  // x[b, kh·i + p, kw·j + q, c] viewed as [B·h, p, w, (q, c)] → [p, (q, c), B·h, w] = colᵀ [(p, q, c), n]
  const x4 = reshape(name, b, x, [batch * h, kh, w, kw * ci]);
  const xt = runKernel(name, 'Transpose', b, { x: x4 }, { perm: [1, 3, 0, 2] });
  const col = reshape(name, b, xt, [kh * kw * ci, n]);
  const dy2 = reshape(name, b, dy, [n, co]);
  const prod = runKernel(name, 'BatchMatMul', b, { a: col, b: dy2 }, { transposeA: false, transposeB: false });
  const out = reshape(name, b, prod, [kh, kw, ci, co]);
  free(b, x4, xt, col, dy2, prod);
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
