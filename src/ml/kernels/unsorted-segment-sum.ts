/**
 * UnsortedSegmentSum (the gradient of tf.gather) from OneHot + BatchMatMul:
 *   out[s, …] = Σ_{n : ids[n] = s} x[n, …] = (onehot(ids, S)ᵀ · x[N, D])[s]
 * Ids outside [0, S) contribute nothing, as in TensorFlow. float32 data, 1-D ids.
 */
import * as tf from '@tensorflow/tfjs';
import { Backend, free, reshape, runKernel } from './util';

export function makeUnsortedSegmentSum(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as { numSegments: number };
    const b = backend as Backend;
    if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on ${backendName}: only float32 data`);
    const n = segmentIds.shape.reduce((p, d) => p * d, 1);
    const rest = x.shape.slice(segmentIds.shape.length);
    const d = rest.reduce((p, v) => p * v, 1);
    const ids = segmentIds.dtype === 'int32' ? segmentIds : runKernel(backendName, 'Cast', b, { x: segmentIds }, { dtype: 'int32' });
    const ids1 = reshape(backendName, b, ids, [n]);
    // wasm's OneHot writes int32 whatever dtype is asked for: make int32 and cast.
    const ohInt = runKernel(backendName, 'OneHot', b, { indices: ids1 }, { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' });
    const oh = runKernel(backendName, 'Cast', b, { x: ohInt }, { dtype: 'float32' });
    free(b, ohInt);
    const a = reshape(backendName, b, oh, [1, n, numSegments]);
    const xs = reshape(backendName, b, x, [1, n, d]);
    const prod = runKernel(backendName, 'BatchMatMul', b, { a, b: xs }, { transposeA: true, transposeB: false });
    const out = reshape(backendName, b, prod, [numSegments, ...rest]);
    free(b, ids1, oh, a, xs, prod);
    if (ids !== segmentIds) free(b, ids);
    return out;
  };
}
