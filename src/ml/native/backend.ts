/**
 * The `native` tfjs backend: tfjs's cpu backend (tensors are typed arrays in JavaScript memory) with its heavy kernels
 * replaced by the addon's (ATen with oneDNN inside, built from native/ at install): convolutions and their gradients,
 * matrix products, max pooling, GroupNorm(+ReLU) (./kernels.ts, ./group-norm.ts), and element-wise ops, reductions,
 * softmax, transposes, slices, splits and concatenation on tensors of 256 values or more (./elementwise.ts). The rest
 * (small tensors, gathers, casts, comparisons, image transforms, ...) stays the cpu backend's JavaScript.
 *
 * Why this layout and not a backend whose tensors live in native memory (measured, BENCHMARKS.md "native backend"):
 * with the kernels above native, a 64²×16 fine-tuning step's CPU went to oneDNN's convolutions and ATen, and the
 * JavaScript left (tfjs's engine and tape, the small cpu kernels: Adam's scalars, the loss, reshapes) was a small
 * share; the one large JavaScript-side cost was V8 collecting the kernels' freed output arrays (~30% of CPU
 * samples), which reusing them (./pool.ts) removes without a second memory manager. Keeping the cpu backend's storage
 * also means no copies across the boundary and every tfjs kernel (and the rare shapes the native ones hand back)
 * works unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { loadAddon, type NativeAddon } from './addon';
import { nativeElementwiseKernels } from './elementwise';
import { nativeGroupNormKernels } from './group-norm';
import { nativeKernels } from './kernels';
import { registerTransformKernel } from '../kernels/transform';

export const NATIVE = 'native';

export interface NativeStart {
  device: string;
  threads: number;
}

/** Register the backend and its kernels (once per thread), make it current, set the intra-op threads. */
export async function startNativeBackend(threads: number): Promise<NativeStart> {
  const addon = loadAddon();
  if (!tf.findBackendFactory(NATIVE)) register(addon);
  if (!(await tf.setBackend(NATIVE))) throw new Error("tf.setBackend('native') failed");
  await tf.ready();
  addon.setThreads(threads);
  const v = addon.versions();
  const actual = addon.getThreads();
  return { device: `native-aten${v.aten}-onednn${v.onednn}-${actual}t`, threads: actual };
}

function register(addon: NativeAddon): void {
  const cpuFactory = tf.findBackendFactory('cpu');
  if (!cpuFactory) throw new Error('the cpu backend is not registered');
  // The cpu backend's class, under another name: its kernels and storage, our heavy kernels on top.
  tf.registerBackend(NATIVE, cpuFactory, 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...k, backendName: NATIVE });
  }
  for (const [kernelName, kernelFunc] of Object.entries({
    ...nativeElementwiseKernels(addon),
    ...nativeKernels(addon),
    ...nativeGroupNormKernels(addon),
  })) {
    if (tf.getKernel(kernelName, NATIVE)) tf.unregisterKernel(kernelName, NATIVE);
    tf.registerKernel({ kernelName, backendName: NATIVE, kernelFunc });
  }
  // the cpu backend's Transform transforms only the first image of a batch (../kernels/transform.ts)
  registerTransformKernel(NATIVE);
}
