/**
 * Reuse of the native kernels' output arrays once tfjs frees their tensors.
 *
 * Why: every kernel output is a fresh Float32Array, hundreds of MB per training step. V8 frees them only when it
 * collects garbage, and the external memory they add triggers a major collection every few dozen MB: perf put ~30%
 * of a 64²×16 fine-tuning step's CPU samples in V8's marking and sweeping, plus the zeroing of each new array.
 *
 * When it is safe: an array goes back to the pool only when the tensor that owns it is disposed (the cpu backend's
 * reference count reaches 0) and nothing else can still see its memory. Anything that could is marked "escaped" and
 * never reused: an array handed to JavaScript by readSync/read (dataSync(), data(), moving to another backend), and
 * a buffer that another tensor views or shares (the cpu backend's contiguous slices are subarrays; a kernel that
 * passes its input array on as an output would share it), detected where tensors are made (the backend's write).
 * Outputs taken from the pool are not zeroed: every native kernel writes all of its output.
 */
import type * as tf from '@tensorflow/tfjs';

/** Arrays smaller than this are left to V8 (the bookkeeping would cost more than the allocation). */
const MIN_POOLED = 4096;
/** At most this many bytes wait in the pool (beyond, freed arrays are left to the garbage collector). */
const MAX_POOLED_BYTES = 256 * 2 ** 20;

interface CpuData {
  data: { get(id: tf.DataId): { values?: unknown } | undefined; has(id: tf.DataId): boolean };
  readSync(id: tf.DataId): unknown;
  read(id: tf.DataId): Promise<unknown>;
  disposeData(id: tf.DataId, force?: boolean): boolean;
  write(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
}

export class ArrayPool {
  private readonly free = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  /** Buffers of arrays this pool handed out that may come back, each with its one legitimate array. */
  private readonly owned = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Handed out, not yet attached to a tensor. */
  private readonly fresh = new WeakSet<Float32Array>();

  /** An array of n floats, not zeroed. */
  alloc(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const reused = this.free.get(n)?.pop();
    if (reused) this.pooledBytes -= reused.byteLength;
    const a = reused ?? new Float32Array(n);
    this.owned.set(a.buffer, a);
    this.fresh.add(a);
    return a;
  }

  /** Never reuse the buffer under `values` (someone else may read it later). */
  escape(values: unknown): void {
    if (ArrayBuffer.isView(values)) this.owned.delete(values.buffer);
  }

  /** A tensor is being made over `values`: fine for our array's first tensor; any other use shares the buffer. */
  attach(values: unknown): void {
    if (!ArrayBuffer.isView(values) || !this.owned.has(values.buffer)) return;
    if (this.fresh.has(values as Float32Array)) this.fresh.delete(values as Float32Array);
    else this.escape(values);
  }

  /** The tensor over `values` was freed. */
  release(values: unknown): void {
    if (!(values instanceof Float32Array) || this.owned.get(values.buffer) !== values) return;
    this.owned.delete(values.buffer);
    if (this.pooledBytes + values.byteLength > MAX_POOLED_BYTES) return;
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.pooledBytes += values.byteLength;
  }

  /** Route the backend's reads, tensor creation and disposal through this pool (per backend instance). */
  watch(backend: tf.KernelBackend): void {
    const b = backend as unknown as CpuData;
    const { readSync, read, disposeData, write } = {
      readSync: b.readSync.bind(b),
      read: b.read.bind(b),
      disposeData: b.disposeData.bind(b),
      write: b.write.bind(b),
    };
    b.readSync = (id) => {
      this.escape(b.data.get(id)?.values);
      return readSync(id);
    };
    b.read = (id) => {
      this.escape(b.data.get(id)?.values);
      return read(id);
    };
    // Every new tensor's data goes through write (makeTensorInfo and makeOutput call it).
    b.write = (values, shape, dtype) => {
      this.attach(values);
      return write(values, shape, dtype);
    };
    b.disposeData = (id, force) => {
      const values = b.data.get(id)?.values;
      const freed = disposeData(id, force);
      if (freed && values !== undefined && !b.data.has(id)) this.release(values);
      return freed;
    };
  }
}
