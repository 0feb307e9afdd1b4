/**
 * BatchMatMul that keeps wasm on its fast path. tfjs-backend-wasm runs XNNPACK only for one un-batched,
 * un-transposed product [M,K]·[K,N]; a transposed operand or a batch dimension > 1 falls to a naive loop (under
 * 1 GFLOP/s: the CLC loss's [16,20,1024]·[16,256,1024]ᵀ and every dense-layer gradient). Here:
 * - transposes become explicit Transpose kernels, choosing the cheaper of the identities
 *     A·Bᵀ = (B·Aᵀ)ᵀ,  Aᵀ·B = (Bᵀ·A)ᵀ,  Aᵀ·Bᵀ = (B·A)ᵀ
 *   by the number of elements transposed;
 * - a batch runs as one fast product per matrix (broadcasting a batch of 1), copied into the output.
 */
import * as tf from '@tensorflow/tfjs';
import { Backend, free, memoryOf, reshape, runKernel } from './util';

export function makeBatchMatMul(backendName: string, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const be = backend as Backend;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (batchA !== batchB && batchA !== 1 && batchB !== 1)) {
      return original(args);
    }
    if (batchA === 1 && batchB === 1 && !transposeA && !transposeB) return original(args);
    const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if ((transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) !== k) return original(args);
    const a3 = reshape(backendName, be, a, [batchA, a.shape[ra - 2], a.shape[ra - 1]]);
    const b3 = reshape(backendName, be, b, [batchB, b.shape[rb - 2], b.shape[rb - 1]]);
    const sizeA = batchA * m * k;
    const sizeB = batchB * k * n;
    const sizeC = Math.max(batchA, batchB) * m * n;
    const t = (x: tf.TensorInfo) => runKernel(backendName, 'Transpose', be, { x }, { perm: [0, 2, 1] });
    // Plan: either C = op(A)·op(B) with the transposed operands made explicit, or Cᵀ = op(B)ᵀ·op(A)ᵀ then transpose.
    const direct = (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0);
    const swapped = (transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + sizeC;
    let out: tf.TensorInfo;
    if (direct <= swapped) {
      const left = transposeA ? t(a3) : a3; // [bA, M, K]
      const right = transposeB ? t(b3) : b3; // [bB, K, N]
      out = batched(backendName, be, original, left, right);
      if (left !== a3) free(be, left);
      if (right !== b3) free(be, right);
    } else {
      const left = transposeB ? b3 : t(b3); // op(B)ᵀ [bB, N, K]
      const right = transposeA ? a3 : t(a3); // op(A)ᵀ [bA, K, M]
      const ct = batched(backendName, be, original, left, right); // [b, N, M]
      out = t(ct);
      free(be, ct);
      if (left !== b3) free(be, left);
      if (right !== a3) free(be, right);
    }
    free(be, a3, b3);
    const result = reshape(backendName, be, out, [...outer, m, n]);
    free(be, out);
    return result;
  };
}

/** [bL, M, K] · [bR, K, N] → [max(bL, bR), M, N] with the fast un-batched kernel per matrix. */
function batched(name: string, be: Backend, original: tf.KernelFunc, l: tf.TensorInfo, r: tf.TensorInfo): tf.TensorInfo {
  const [bl, m, k] = l.shape;
  const [br, , n] = r.shape;
  const call = (x: tf.TensorInfo, y: tf.TensorInfo) =>
    original({ inputs: { a: x, b: y }, backend: be, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
  if (bl === 1 && br === 1) {
    const l2 = reshape(name, be, l, [m, k]);
    const r2 = reshape(name, be, r, [k, n]);
    const prod = call(l2, r2);
    free(be, l2, r2);
    const out = reshape(name, be, prod, [1, m, n]);
    free(be, prod);
    return out;
  }
  const batch = Math.max(bl, br);
  const mem = memoryOf(name, be);
  const out = mem.alloc([batch, m, n]);
  const matrix = (x: tf.TensorInfo, i: number, rows: number, cols: number) => {
    const part = mem.alloc([rows, cols]);
    part.view().set(mem.read(x).subarray(i * rows * cols, (i + 1) * rows * cols));
    return part.info;
  };
  const shared = (x: tf.TensorInfo, rows: number, cols: number) => reshape(name, be, x, [rows, cols]);
  const lShared = bl === 1 ? shared(l, m, k) : null;
  const rShared = br === 1 ? shared(r, k, n) : null;
  for (let i = 0; i < batch; i++) {
    const li = lShared ?? matrix(l, i, m, k);
    const ri = rShared ?? matrix(r, i, k, n);
    const prod = call(li, ri);
    out.view().set(mem.read(prod), i * m * n);
    free(be, prod);
    if (!lShared) free(be, li);
    if (!rShared) free(be, ri);
  }
  if (lShared) free(be, lShared);
  if (rShared) free(be, rShared);
  return out.info;
}
