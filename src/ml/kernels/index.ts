/**
 * Training kernels nephron adds to a backend (wasm): Conv2DBackpropFilter (missing in tfjs-backend-wasm 4.22),
 * a fast Conv2DBackpropInput (wasm's own is a naive loop; kept as the fallback for cases the fast one does not
 * cover), UnsortedSegmentSum (the gradient of tf.gather) and a BatchMatMul that keeps batched and transposed
 * products on XNNPACK's fast path. Each is composed of Conv2D / BatchMatMul /
 * Transpose / DepthToSpace kernels that wasm runs with XNNPACK. Plus GroupNorm (+ReLU) as JS kernels over the
 * backend memory (./group-norm.ts). Idempotent.
 */
import * as tf from '@tensorflow/tfjs';
import { makeBatchMatMul } from './batch-mat-mul';
import { makeConv2dBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2dBackpropInput } from './conv2d-backprop-input';
import { registerGroupNormKernels } from './group-norm';
import { makeUnsortedSegmentSum } from './unsorted-segment-sum';

const registered = new Set<string>();

export function registerTrainingKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  const original = tf.getKernel('Conv2DBackpropInput', backendName);
  replaceKernel(backendName, 'Conv2DBackpropInput', makeConv2dBackpropInput(backendName, original?.kernelFunc ?? null));
  replaceKernel(backendName, 'Conv2DBackpropFilter', makeConv2dBackpropFilter(backendName));
  replaceKernel(backendName, 'UnsortedSegmentSum', makeUnsortedSegmentSum(backendName));
  if (backendName === 'wasm') {
    const matMul = tf.getKernel('BatchMatMul', backendName);
    if (matMul) replaceKernel(backendName, 'BatchMatMul', makeBatchMatMul(backendName, matMul.kernelFunc));
  }
  registerGroupNormKernels(backendName);
  registered.add(backendName);
}

function replaceKernel(backendName: string, kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
}
