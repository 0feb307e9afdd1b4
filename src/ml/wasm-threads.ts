/**
 * Multi-threaded wasm (XNNPACK over an Emscripten pthread pool) under Node, including inside worker_threads.
 *
 * tfjs-backend-wasm 4.22 does not start its threaded build in Node (tfjs issue #3830): the flag
 * WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false under Node, and when forced the pthread workers are created with
 * `new Worker(blob: URL)` and told to import the main script from a Blob, neither of which Node's worker_threads
 * accepts. Here, before the backend starts:
 * - the flag is set true;
 * - `globalThis.Worker` (which the Emscripten glue assigns to worker_threads.Worker) is pinned to a subclass that
 *   starts blob: workers from the worker source shipped in wasm-out/ (eval: true) and rewrites the "load" message so
 *   the pthread imports the threaded glue from its file path instead of a Blob.
 * - the pthread workers are unref()'d and never re-ref()'d (XNNPACK's pool threads never exit, and a ref'd worker
 *   would keep the process, or the enclosing Worker, alive forever);
 * - during initialisation os.cpus() reports at least 2 × threads cores, because the threaded build caps its pool
 *   at half the logical cores (1 on a 2-core machine).
 * Pinning `globalThis.Worker` is process-wide (per thread): it happens only when more than one thread is asked for.
 * Measured here (2 shared cores): it starts reliably, also inside worker_threads; per training step 2 threads ran
 * 0.7–1.5× the speed of 1 depending on the other load (the GroupNorm and im2col kernels are JS and stay on one
 * thread).
 */
import * as path from 'node:path';
import { Worker as NodeWorker, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

export function wasmThreadsSupported(): boolean {
  try {
    // Shared memory + atomics in wasm (Node ≥ 16 has both).
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
  } catch {
    return false;
  }
}

let prepared = false;

/**
 * Run `start` (the backend initialisation) while os.cpus() reports 2 × `threads` cores: the threaded build sizes its
 * XNNPACK pool as min(requested, logical cores / 2) (emscripten_num_logical_cores reads os.cpus()), which would cap
 * a 2-core machine at 1 thread.
 */
export async function withCoreCountFor<T>(threads: number, start: () => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as { cpus: () => unknown[] };
  const real = os.cpus;
  const cpus = real.call(os);
  os.cpus = () => (cpus.length >= 2 * threads ? cpus : Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]));
  try {
    return await start();
  } finally {
    os.cpus = real;
  }
}

/** Make the threaded SIMD build start under Node (call before tf.setBackend('wasm')). */
export function prepareWasmThreads(): void {
  if (prepared) return;
  const outDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const glue = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js');

  class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      if (typeof url === 'string' && url.startsWith('blob:')) {
        // The source holds "\n" escapes that became real newlines inside string literals: restore them (as tfjs does).
        super(wasmWorkerContents.replace(/\n/g, '\\n'), { ...options, eval: true });
      } else {
        super(url, options);
      }
      // Idle pthreads must not keep the process (or a worker_threads Worker) alive.
      this.unref();
    }

    /** Emscripten ref()s a worker while it runs a pthread; XNNPACK's pool threads run forever, so never ref. */
    ref(): void {}

    postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m && m.cmd === 'load') m.urlOrBlob = glue;
      super.postMessage(message, transfer);
    }
  }

  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PthreadWorker,
    set: () => undefined,
  });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  prepared = true;
}
