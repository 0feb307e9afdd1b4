/**
 * Run-time choice and initialisation of the TensorFlow.js backend.
 *
 * Order when nothing is forced: `native` (the addon over libtorch's ATen + oneDNN built at install, ./native/) →
 * `tensorflow` (libtensorflow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, both optional and
 * usually absent here) → `webgpu` (Dawn through the optional `webgpu` package, ./webgpu/start.ts; only on a real GPU,
 * never a software adapter such as SwiftShader) → `wasm` (SIMD, XNNPACK) → `cpu` (pure JS, ~1000× slower: only tiny
 * tests). `NEPHRON_BACKEND=native|tensorflow|webgpu|wasm|cpu` forces one (a forced webgpu takes software adapters
 * too); a forced backend that cannot start is an error, never a silent fallback. `NEPHRON_THREADS` (alias
 * `NEPHRON_WASM_THREADS`) sets the intra-op threads of the CPU backends (default: the number of cores; ./threads.ts;
 * see ./wasm-threads.ts for how wasm threads start under Node, also inside worker_threads).
 *
 * Works the same on the main thread and inside a `worker_threads` Worker: every thread has its own tfjs engine,
 * so each Worker calls `initBackend` once before building models.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerTrainingKernels } from './kernels';
import { registerGroupNormKernels } from './kernels/group-norm';
import { registerTransformKernel } from './kernels/transform';
import { startNativeBackend } from './native/backend';
import { threadsFromEnv } from './threads';
import { DawnUnavailableError } from './webgpu/dawn';
import { startWebGpu } from './webgpu/start';
import { prepareWasmThreads, wasmThreadsSupported, withCoreCountFor } from './wasm-threads';

export type BackendName = 'native' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['native', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendOptions {
  /** Force a backend (default: `NEPHRON_BACKEND`, else the automatic order). */
  backend?: BackendName;
  /**
   * Intra-op threads (default: `NEPHRON_THREADS` / `NEPHRON_WASM_THREADS`, else the number of cores). native: ATen's
   * OpenMP threads for this thread. wasm: 1 = the SIMD build; more starts the
   * threaded SIMD build (./wasm-threads.ts). On this 2-core machine 2 threads gave 0.7–1.5× the speed of 1 depending
   * on what else ran (BENCHMARKS.md, "ml engine"): runners that train several models at once should pass 1.
   */
  threads?: number;
  /** webgpu: which of the machine's GPU adapters (default 0; one runner slot per adapter). */
  adapter?: number;
}

export interface BackendInfo {
  name: BackendName;
  /**
   * Reported with every run: `native-aten1.13.0-onednn2.6.3-1t`, `wasm-simd-1t`, `wasm-simd-2t`, `tensorflow-gpu:0`,
   * `tensorflow-cpu`, `cpu`, `webgpu:0 <adapter> [vendor/architecture, description]`.
   */
  device: string;
  threads: number;
  /** webgpu: GPU adapters on this machine (the runner host starts one slot per adapter). */
  adapters?: number;
}

/** The backend asked for cannot start. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    reason: string,
  ) {
    super(`backend '${backend}' is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** The initialised backend, or null before `initBackend`. */
export function currentBackend(): BackendInfo | null {
  return current;
}

/**
 * Initialise the backend once per thread (later calls return the first result; asking for a different backend
 * after that throws). Throws BackendUnavailableError when a forced backend cannot start.
 */
export function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? parseBackendEnv(process.env.NEPHRON_BACKEND);
  if (pending) {
    return pending.then((info) => {
      if (wanted && wanted !== info.name) {
        throw new Error(`backend already initialised as '${info.name}', cannot switch to '${wanted}'`);
      }
      return info;
    });
  }
  pending = start(wanted, options.threads ?? threadsFromEnv(), options.adapter).then(
    (info) => {
      // The cpu backend is always present (tests compare against it): give it the GroupNorm kernel too.
      registerGroupNormKernels('cpu');
      // tfjs-backend-cpu's Transform transforms only a batch's first image (./kernels/transform.ts)
      registerTransformKernel('cpu');
      return (current = info);
    },
    (err: unknown) => {
      pending = null;
      throw err;
    },
  );
  return pending;
}

function parseBackendEnv(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new Error(`NEPHRON_BACKEND=${value}: expected one of ${BACKEND_NAMES.join(', ')} (or unset)`);
  }
  return value as BackendName;
}

async function start(wanted: BackendName | undefined, threads: number | undefined, adapter: number | undefined): Promise<BackendInfo> {
  if (wanted === 'native') return startNative(threads);
  if (wanted === 'tensorflow') return startTensorflow();
  if (wanted === 'webgpu') return startWebGpuBackend(adapter, false);
  if (wanted === 'wasm') return startWasm(threads);
  if (wanted === 'cpu') return startCpu();
  const automatic = [() => startNative(threads), () => startTensorflow(), () => startWebGpuBackend(adapter, true), () => startWasm(threads)];
  for (const attempt of automatic) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
    }
  }
  return startCpu();
}

async function startNative(threads: number | undefined): Promise<BackendInfo> {
  try {
    const { device, threads: actual } = await startNativeBackend(Math.max(1, threads ?? os.availableParallelism()));
    return { name: 'native', device, threads: actual };
  } catch (err) {
    throw new BackendUnavailableError('native', firstLine(err));
  }
}

async function startTensorflow(): Promise<BackendInfo> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      // Optional dependencies: their install needs libtensorflow, which may be missing; only load them if present.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(pkg);
    } catch (err) {
      reasons.push(`${pkg}: ${firstLine(err)}`);
      continue;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      reasons.push(`${pkg} loaded but tf.setBackend('tensorflow') failed`);
      continue;
    }
    await tf.ready();
    const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
    const device = backend.isUsingGpuDevice ? 'tensorflow-gpu:0' : 'tensorflow-cpu';
    return { name: 'tensorflow', device, threads: os.availableParallelism() };
  }
  throw new BackendUnavailableError('tensorflow', reasons.join('; '));
}

async function startWebGpuBackend(adapter: number | undefined, realGpuOnly: boolean): Promise<BackendInfo> {
  try {
    const { device, adapters } = await startWebGpu({ adapter, realGpuOnly });
    return { name: 'webgpu', device, threads: 1, adapters };
  } catch (err) {
    if (err instanceof DawnUnavailableError) throw new BackendUnavailableError('webgpu', err.message);
    throw new BackendUnavailableError('webgpu', firstLine(err));
  }
}

async function startWasm(threads: number | undefined): Promise<BackendInfo> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the wasm backend is asked for
    wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', firstLine(err));
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  let want = Math.max(1, threads ?? os.availableParallelism());
  if (want > 1 && !(simd && wasmThreadsSupported())) want = 1;
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  wasm.setWasmPaths(dir);
  if (want > 1) {
    prepareWasmThreads();
  } else {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  wasm.setThreadsCount(want);
  let ok = false;
  try {
    ok = want > 1 ? await withCoreCountFor(want, () => tf.setBackend('wasm')) : await tf.setBackend('wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', firstLine(err));
  }
  if (!ok) throw new BackendUnavailableError('wasm', "tf.setBackend('wasm') failed");
  await tf.ready();
  registerTrainingKernels('wasm');
  const actual = wasm.getThreadsCount();
  return { name: 'wasm', device: `wasm-${simd ? 'simd' : 'plain'}-${actual}t`, threads: actual };
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu', "tf.setBackend('cpu') failed");
  await tf.ready();
  return { name: 'cpu', device: 'cpu', threads: 1 };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String((err as { message?: string })?.message ?? err);
  return msg.split('\n')[0];
}
