/**
 * Helpers for kernels composed of other kernels of the same backend: call a registered kernel function directly
 * (no engine, no tape) and free intermediate results by dataId.
 */
import * as tf from '@tensorflow/tfjs';

export type Attrs = Record<string, unknown>;
export type Backend = tf.KernelBackend;

/** Run the kernel `name` of `backendName` on tensor infos; the caller frees the result. */
export function runKernel(backendName: string, name: string, backend: Backend, inputs: Record<string, tf.TensorInfo>, attrs: Attrs = {}): tf.TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) throw new Error(`kernel ${name} is not registered for backend ${backendName}`);
  const out = kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
  return out;
}

/** Release intermediate tensor infos (decrements the backend's reference count). */
export function free(backend: Backend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Reshape without copying (wasm and cpu share the data and bump its reference count). */
export function reshape(backendName: string, backend: Backend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runKernel(backendName, 'Reshape', backend, { x }, { shape });
}

/** Access to a backend's float32 data as typed arrays. */
export interface Memory {
  read(info: tf.TensorInfo): Float32Array;
  /** Allocate outputs first, then read inputs (wasm views are invalidated when its heap grows). */
  alloc(shape: number[]): { info: tf.TensorInfo; view: () => Float32Array };
}

export function memoryOf(backendName: string, backend: tf.KernelBackend): Memory {
  if (backendName === 'wasm') {
    const b = backend as unknown as {
      typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
      makeOutput(shape: number[], dtype: string): tf.TensorInfo;
    };
    return {
      read: (info) => b.typedArrayFromHeap(info),
      alloc: (shape) => {
        const info = b.makeOutput(shape, 'float32');
        return { info, view: () => b.typedArrayFromHeap(info) };
      },
    };
  }
  const b = backend as unknown as {
    data: { get(id: tf.DataId): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: string, values?: Float32Array): tf.TensorInfo;
  };
  return {
    read: (info) => b.data.get(info.dataId).values,
    alloc: (shape) => {
      const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
      return { info: b.makeTensorInfo(shape, 'float32', values), view: () => values };
    },
  };
}
