/**
 * The native backend keeps tensors where tfjs's cpu backend keeps them (a MathBackendCPU instance: one typed array
 * per tensor in JavaScript memory), so the addon reads and writes them in place.
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayPool } from './pool';

/** The parts of MathBackendCPU the native kernels use. */
export type CpuLike = tf.KernelBackend & {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
};

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** A float32 tensor's storage (the array itself, not a copy). */
export function float32(backend: CpuLike, info: tf.TensorInfo): Float32Array {
  const values = backend.data.get(info.dataId).values;
  if (values instanceof Float32Array) return values;
  // Some cpu kernels keep another array type under dtype float32 (a cast from bool keeps its Int32Array): copy it.
  if (ArrayBuffer.isView(values)) return Float32Array.from(values as unknown as ArrayLike<number>);
  throw new Error(`native backend: a ${info.dtype} tensor of shape [${info.shape.join(', ')}] has no typed array`);
}

const pools = new WeakMap<object, ArrayPool>();

/** The pool of a native backend instance (./pool.ts), watching it from the first call. */
export function poolOf(backend: tf.KernelBackend): ArrayPool {
  let pool = pools.get(backend);
  if (!pool) {
    pool = new ArrayPool();
    pool.watch(backend);
    pools.set(backend, pool);
  }
  return pool;
}

/**
 * Storage for an output of n floats (reused, not zeroed: the kernel must write all of it). NEPHRON_NATIVE_POOL=0
 * turns the reuse off (to measure what it saves).
 */
export function alloc(backend: CpuLike, n: number): Float32Array {
  if (process.env.NEPHRON_NATIVE_POOL === '0') return new Float32Array(n);
  return poolOf(backend).alloc(n);
}

/** A new output tensor that owns `values`. */
export function output(backend: CpuLike, shape: number[], values: Float32Array): tf.TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** The cpu backend's kernel of that name (the native backend is a cpu backend, so it runs there unchanged). */
export function cpuKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`native backend: the cpu backend has no ${name} kernel to fall back to`);
  return k.kernelFunc;
}
