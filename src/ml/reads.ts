/**
 * Reading tensor values on backends that cannot read synchronously (WebGPU in Node).
 *
 * tfjs-backend-webgpu's `dataSync()` copies through an OffscreenCanvas, which Node does not have; and Dawn only
 * finishes a buffer map on the event loop, so a synchronous read is impossible there. nephron's training code reads
 * synchronously in a few places that must stay synchronous: inside `tf.variableGrads` (the CLC loss reads its
 * similarities and then their top-k to pick neighbourhoods) and in the sync validation functions (the fine-tuning
 * job's Dice reads its argmax). For those, `replayReads(fn)` runs `fn`; a synchronous read of GPU data that is not
 * known yet starts the copy and aborts `fn` (ReadPending); once the copy is back `fn` runs again, and its n-th read
 * is answered from the n-th value already fetched. Each read that depends on an earlier one (CLC's top-k on its
 * similarities) costs one more forward pass; values the caller can name in advance (inputs, weights, the loss) are
 * fetched with `whenReadable` instead, at no replay.
 *
 * On wasm, cpu and tensorflow both are no-ops: their reads are synchronous.
 */
import * as tf from '@tensorflow/tfjs';

/** A synchronous read of GPU data inside `replayReads`: the copy has started, `fn` runs again when it is back. */
export class ReadPending extends Error {
  constructor(index: number) {
    super(`read ${index} of GPU data pending (replayReads reruns the computation)`);
    this.name = 'ReadPending';
  }
}

interface Session {
  /** Values of the reads of earlier attempts, in the order the computation makes them. */
  cache: tf.backend_util.BackendValues[];
  next: number;
  pending: Promise<void>[];
}

interface GuardedBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  tensorMap: { get(dataId: tf.DataId): { values: unknown; dtype: tf.DataType; shape: number[]; resource: unknown } | undefined };
  getBufferData(buffer: unknown): Promise<ArrayBuffer>;
  nephronReadGuard?: true;
}

let session: Session | null = null;
/** How often replayReads ran a computation, and how many of those runs were reruns (bench/gpu.ts reports them). */
export const replayCounts = { runs: 0, reruns: 0 };
/** Backends whose synchronous reads need the guard (the WebGPU one). */
const guarded = new WeakSet<object>();

/** Makes `backend.readSync` replayable (see above); outside `replayReads` it fails with a message saying what to do. */
export function installAsyncReadGuard(backend: tf.KernelBackend): void {
  const b = backend as unknown as GuardedBackend;
  if (b.nephronReadGuard) return;
  const original = b.readSync.bind(b);
  b.readSync = (dataId) => {
    const data = b.tensorMap.get(dataId);
    // values already on the CPU (not uploaded yet, or read before): the backend answers at once
    if (!data || data.values != null || data.dtype === 'string' || data.dtype === 'complex64') return original(dataId);
    if (!session) {
      throw new Error('a synchronous read (dataSync) of WebGPU data outside replayReads: read with `await tensor.data()` instead');
    }
    const s = session;
    const i = s.next++;
    const size = data.shape.reduce((p, d) => p * d, 1);
    const cached = s.cache[i];
    if (cached && cached.length === size) return cached;
    // the computation took another path from here on: what was cached after this read belongs to the other path
    s.cache.length = i;
    // getBufferData records the copy before its first await: the tensor may be disposed as fn unwinds
    const dtype = data.dtype;
    s.pending.push(
      b.getBufferData(data.resource).then((buffer) => {
        const values = tf.util.convertBackendValuesAndArrayBuffer(buffer, dtype) as Float32Array | Int32Array | Uint8Array;
        s.cache[i] = values.length === size ? values : values.slice(0, size);
      }),
    );
    throw new ReadPending(i);
  };
  b.nephronReadGuard = true;
  guarded.add(backend);
}

/** Whether the active backend reads asynchronously only (WebGPU). */
export function readsAreAsync(): boolean {
  return guarded.has(tf.backend());
}

/**
 * Runs `fn` until its synchronous reads are all answered (at most `maxAttempts` runs). `fn` must not have side
 * effects before its last read (a training step's update comes after its forward pass: fine).
 */
export async function replayReads<T>(fn: () => T, maxAttempts = 12): Promise<T> {
  if (session || !readsAreAsync()) return fn();
  const s: Session = { cache: [], next: 0, pending: [] };
  for (let attempt = 1; ; attempt++) {
    s.next = 0;
    s.pending = [];
    session = s;
    replayCounts.runs++;
    if (attempt > 1) replayCounts.reruns++;
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ReadPending)) throw err;
      dropAbandonedTape();
    } finally {
      session = null;
    }
    if (attempt >= maxAttempts)
      throw new Error(`replayReads: still reading GPU data after ${attempt} runs (does the computation read different data each run?)`);
    await Promise.all(s.pending);
  }
}

/** Fetches the values of these tensors so that a later `dataSync()` answers from the CPU copy (WebGPU; else a no-op). */
export async function whenReadable(tensors: readonly tf.Tensor[]): Promise<void> {
  if (!readsAreAsync()) return;
  await Promise.all(tensors.filter((t) => !t.isDisposed).map((t) => t.data()));
}

/**
 * A ReadPending thrown inside tf.variableGrads leaves the gradient tape of the aborted forward pass behind, with the
 * tensors it saved for the backward pass (kept outside every tidy): free them as tfjs does after a backward pass.
 */
function dropAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}
