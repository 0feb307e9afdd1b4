import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend } from '../../src/ml/backend';
import { swiftShaderMissing } from '../helpers/swiftshader';

function inWorker(env: Record<string, string>): Promise<{ device?: string; grad?: number[]; error?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'fixtures', 'backendWorker.ts'), {
      execArgv: ['--require', 'tsx/cjs'],
      env: { ...process.env, ...env },
    });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`worker exited with ${code}`))));
  });
}

describe('backend choice', () => {
  it('a forced backend that cannot start is an error, not a fallback', async () => {
    // No libtensorflow here: @tensorflow/tfjs-node(-gpu) cannot load.
    await expect(initBackend({ backend: 'tensorflow' })).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('rejects an unknown NEPHRON_BACKEND', () => {
    const before = process.env.NEPHRON_BACKEND;
    process.env.NEPHRON_BACKEND = 'gpu';
    try {
      expect(() => initBackend()).toThrow(/NEPHRON_BACKEND=gpu/);
    } finally {
      if (before === undefined) delete process.env.NEPHRON_BACKEND;
      else process.env.NEPHRON_BACKEND = before;
    }
  });

  it('wasm starts with SIMD and reports its device; a second init returns the same', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info).toEqual({ name: 'wasm', device: 'wasm-simd-1t', threads: 1 });
    expect(await initBackend()).toBe(info);
    await expect(initBackend({ backend: 'cpu' })).rejects.toThrow(/already initialised as 'wasm'/);
  });

  it('threaded wasm (2 threads) starts inside a worker_threads Worker and computes what 1 thread does', async () => {
    const one = await inWorker({ NEPHRON_BACKEND: 'wasm', NEPHRON_WASM_THREADS: '1' });
    const two = await inWorker({ NEPHRON_BACKEND: 'wasm', NEPHRON_WASM_THREADS: '2' });
    expect(one.error ?? two.error).toBeUndefined();
    expect(one.device).toBe('wasm-simd-1t');
    expect(two.device).toBe('wasm-simd-2t');
    two.grad!.forEach((v, i) => expect(v).toBeCloseTo(one.grad![i], 2));
  });

  it('the default order skips tensorflow and a software webgpu adapter (SwiftShader) and lands on wasm, one thread per core, inside a Worker', async () => {
    expect(swiftShaderMissing()).toBeNull(); // SwiftShader is visible to Dawn here: the order must pass it by
    const r = await inWorker({ NEPHRON_BACKEND: '', NEPHRON_WASM_THREADS: '' });
    expect(r.device).toBe(`wasm-simd-${os.availableParallelism()}t`);
  });
});
