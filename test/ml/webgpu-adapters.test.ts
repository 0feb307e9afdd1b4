/** Dawn's adapter list, telling software adapters from GPUs, the device string, and a forced webgpu that cannot start. */
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend } from '../../src/ml/backend';
import { isSoftwareAdapter, parseAdapterList } from '../../src/ml/webgpu/dawn';
import { deviceString } from '../../src/ml/webgpu/start';
import { swiftShaderMissing } from '../helpers/swiftshader';

describe('Dawn adapters', () => {
  it("reads Dawn's 'Available adapters' list", () => {
    const message = [
      'no suitable backends found',
      'Available adapters:',
      " * backend: 'vulkan', name: 'NVIDIA H200'",
      " * backend: 'vulkan', name: 'NVIDIA H200'",
      " * backend: 'vulkan', name: 'SwiftShader Device (Subzero)'",
    ].join('\n');
    expect(parseAdapterList(message)).toEqual([
      { backend: 'vulkan', name: 'NVIDIA H200' },
      { backend: 'vulkan', name: 'NVIDIA H200' },
      { backend: 'vulkan', name: 'SwiftShader Device (Subzero)' },
    ]);
    expect(parseAdapterList('no suitable backends found\nAvailable adapters:\n')).toEqual([]);
  });

  it('software adapters are not GPUs: SwiftShader, llvmpipe, lavapipe, the fallback adapter', () => {
    expect(isSoftwareAdapter('SwiftShader Device (Subzero)')).toBe(true);
    expect(isSoftwareAdapter('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareAdapter('some device', { vendor: 'mesa', architecture: '', device: 'lavapipe', description: '' })).toBe(true);
    expect(isSoftwareAdapter('Any', { vendor: 'x', architecture: 'y', device: 'z', description: '', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter('NVIDIA H200', { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 550.54' })).toBe(false);
    expect(isSoftwareAdapter('AMD Radeon RX 7900 XTX (RADV NAVI31)')).toBe(false);
  });

  it('the device string names index, adapter, vendor/architecture and description', () => {
    expect(deviceString(1, 'NVIDIA H200', { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA: 550.54' })).toBe(
      'webgpu:1 NVIDIA H200 [nvidia/hopper, NVIDIA: 550.54]',
    );
    expect(deviceString(0, 'X', { vendor: '', architecture: '', device: '', description: '' })).toBe('webgpu:0 X [?/?]');
  });

  it('a forced webgpu that cannot start is an error naming why (an adapter the machine lacks)', async () => {
    const missing = swiftShaderMissing();
    if (missing) throw new Error(missing);
    const failed = initBackend({ backend: 'webgpu', adapter: 3 });
    await expect(failed).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(failed).rejects.toThrow(/backend 'webgpu' is not available: adapter 3 asked for, but Dawn has 1 \(SwiftShader Device \(Subzero\)\)/);
  });
});
