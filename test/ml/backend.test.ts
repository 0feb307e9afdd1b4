import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend } from '../../src/ml/backend';
import { threadsFromEnv, threadsPerSlot } from '../../src/ml/threads';
import { swiftShaderMissing } from '../helpers/swiftshader';
import { describeNative } from './native-support';

function inWorker(env: Record<string, string>): Promise<{ device?: string; grad?: number[]; loss?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'fixtures', 'backend-worker.ts'), {
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

  it('without the native addon the default order skips native, tensorflow and a software webgpu adapter (SwiftShader) and trains on wasm, one thread per core', async () => {
    expect(swiftShaderMissing()).toBeNull(); // SwiftShader is visible to Dawn here: the order must pass it by
    const r = await inWorker({ NEPHRON_BACKEND: '', NEPHRON_THREADS: '', NEPHRON_WASM_THREADS: '', NEPHRON_NATIVE_ADDON: '/nonexistent/nephron_native.node' });
    expect(r.error).toBeUndefined();
    expect(r.device).toBe(`wasm-simd-${os.availableParallelism()}t`);
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('native forced without the addon is an error that says where it looked and how to build it', async () => {
    const r = await inWorker({ NEPHRON_BACKEND: 'native', NEPHRON_NATIVE_ADDON: '/nonexistent/nephron_native.node' });
    expect(r.error).toMatch(/backend 'native' is not available: .*nonexistent.*native\/build\.js/);
  });

  describeNative('with the native addon', () => {
    it('the default order starts native (ATen and oneDNN versions in the device), one thread per core, and trains', async () => {
      const r = await inWorker({ NEPHRON_BACKEND: '', NEPHRON_THREADS: '', NEPHRON_WASM_THREADS: '' });
      expect(r.error).toBeUndefined();
      expect(r.device).toMatch(new RegExp(`^native-aten1\\.13\\.\\d+-onednn\\d+\\.\\d+\\.\\d+-${os.availableParallelism()}t$`));
      expect(Number.isFinite(r.loss)).toBe(true);
    });

    it("NEPHRON_THREADS (and its alias NEPHRON_WASM_THREADS) set native's threads; 2 threads compute what 1 does", async () => {
      const one = await inWorker({ NEPHRON_BACKEND: 'native', NEPHRON_THREADS: '1' });
      const two = await inWorker({ NEPHRON_BACKEND: 'native', NEPHRON_THREADS: '', NEPHRON_WASM_THREADS: '2' });
      expect(one.error ?? two.error).toBeUndefined();
      expect(one.device).toMatch(/-1t$/);
      expect(two.device).toMatch(/-2t$/);
      two.grad!.forEach((v, i) => expect(v).toBeCloseTo(one.grad![i], 2));
      expect(Math.abs(two.loss! - one.loss!) / one.loss!).toBeLessThan(1e-5);
    });
  });
});

describe('threads per runner slot', () => {
  it('splits NEPHRON_THREADS (else the cores but one) among the slots, never more than the cores, at least 1 each', () => {
    expect(threadsPerSlot(1, {}, 2)).toBe(1);
    expect(threadsPerSlot(1, {}, 8)).toBe(7);
    expect(threadsPerSlot(2, {}, 8)).toBe(3);
    expect(threadsPerSlot(1, { NEPHRON_THREADS: '2' }, 2)).toBe(2);
    expect(threadsPerSlot(2, { NEPHRON_THREADS: '8' }, 8)).toBe(4);
    expect(threadsPerSlot(2, { NEPHRON_THREADS: '16' }, 8)).toBe(4);
    expect(threadsPerSlot(3, { NEPHRON_WASM_THREADS: '2' }, 8)).toBe(1);
    expect(threadsPerSlot(4, {}, 2)).toBe(1);
  });

  it('reads NEPHRON_THREADS before its alias and rejects what is not a positive integer', () => {
    expect(threadsFromEnv({ NEPHRON_THREADS: '3', NEPHRON_WASM_THREADS: '1' })).toBe(3);
    expect(threadsFromEnv({ NEPHRON_WASM_THREADS: '1' })).toBe(1);
    expect(threadsFromEnv({})).toBeUndefined();
    expect(() => threadsFromEnv({ NEPHRON_THREADS: '0' })).toThrow(/NEPHRON_THREADS=0/);
    expect(() => threadsFromEnv({ NEPHRON_WASM_THREADS: 'two' })).toThrow(/NEPHRON_WASM_THREADS=two/);
  });
});
