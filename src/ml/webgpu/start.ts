/**
 * Starting tfjs's WebGPU backend (`@tensorflow/tfjs-backend-webgpu`, optional) on one Dawn adapter, in the calling
 * thread (each runner worker starts its own, on its own adapter).
 *
 * The device is created here rather than by the package's own factory (which asks `navigator.gpu` for "the"
 * adapter): that is how a slot gets adapter i of several, and how the run's device string can name the adapter.
 * The requested features and limits are those of the package's factory (tfjs-backend-webgpu 4.22, src/base.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DawnUnavailableError, isSoftwareAdapter, listAdapters, loadDawn, vulkanLoaderFindable, type DawnAdapter } from './dawn';
import { installAsyncReadGuard } from '../reads';
import { registerWebGpuKernels } from './kernels';

const TFJS_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

export interface WebGpuOptions {
  /** Index among the usable adapters (default 0): one runner slot per adapter. */
  adapter?: number;
  /** Refuse software adapters (SwiftShader, llvmpipe): the automatic order only takes a real GPU. */
  realGpuOnly: boolean;
}

export interface WebGpuStarted {
  /** `webgpu:0 NVIDIA H200 [nvidia/hopper, NVIDIA 550.54]`: index, Dawn's name, vendor/architecture, description. */
  device: string;
  /** Usable adapters on this machine (distinct names; see ./dawn.ts on identical GPUs). */
  adapters: number;
}

export async function startWebGpu(options: WebGpuOptions): Promise<WebGpuStarted> {
  if (options.realGpuOnly && !vulkanLoaderFindable()) throw new DawnUnavailableError('no Vulkan loader (libvulkan.so.1) on this machine');
  const dawn = await loadDawn();
  const listed = await listAdapters(dawn);
  const names = [...new Set(listed.filter((a) => !options.realGpuOnly || !isSoftwareAdapter(a.name)).map((a) => a.name))];
  if (names.length === 0) {
    throw new DawnUnavailableError(
      listed.length === 0
        ? "Dawn found no GPU adapter: install the GPU driver's Vulkan ICD (or, to test without a GPU, point LD_LIBRARY_PATH and VK_ICD_FILENAMES at SwiftShader: see the README)"
        : `only software adapters (${listed.map((a) => a.name).join(', ')}), which the automatic order skips; force them with NEPHRON_BACKEND=webgpu`,
    );
  }
  const index = options.adapter ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= names.length) {
    throw new DawnUnavailableError(`adapter ${index} asked for, but Dawn has ${names.length} (${names.join(', ')})`);
  }
  const name = names[index];
  const gpu = dawn.create([`adapter=${name}`]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new DawnUnavailableError(`Dawn returned no adapter for '${name}'`);
  if (options.realGpuOnly && isSoftwareAdapter(name, adapter.info)) throw new DawnUnavailableError(`'${name}' is a software adapter`);

  // The WebGPU constants (GPUBufferUsage, GPUMapMode, …) the tfjs backend reads as globals, as in a browser.
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  let WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend;
  let webgpuUtil: Parameters<typeof registerWebGpuKernels>[0];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ WebGPUBackend, webgpu_util: webgpuUtil } = require(TFJS_PACKAGE) as { WebGPUBackend: typeof WebGPUBackend; webgpu_util: typeof webgpuUtil });
  } catch (err) {
    throw new DawnUnavailableError(
      `the optional package '${TFJS_PACKAGE}' could not be loaded (${(err as Error).message.split('\n')[0]}); install it with \`npm install ${TFJS_PACKAGE}@4.22.0\``,
    );
  }
  exposeNavigatorGpu(gpu); // the backend's constructor checks that WebGPU "is supported" there
  const device = await adapter.requestDevice(deviceDescriptor(adapter));
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info));
  if (!(await tf.setBackend('webgpu'))) throw new DawnUnavailableError(`tf.setBackend('webgpu') failed on '${name}'`);
  await tf.ready();
  registerWebGpuKernels(webgpuUtil);
  installAsyncReadGuard(tf.backend());
  return { device: deviceString(index, name, adapter.info), adapters: names.length };
}

/** `navigator.gpu`, as in a browser (Node 21+ has a `navigator` without `gpu`; Node 20 has none). */
function exposeNavigatorGpu(gpu: unknown): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

function deviceDescriptor(adapter: DawnAdapter): Record<string, unknown> {
  const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  return {
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  };
}

export function deviceString(index: number, name: string, info: DawnAdapter['info']): string {
  const kind = `${info.vendor || '?'}/${info.architecture || '?'}`;
  return `webgpu:${index} ${name} [${kind}${info.description ? `, ${info.description}` : ''}]`;
}
