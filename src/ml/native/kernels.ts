/**
 * tfjs kernels of the `native` backend that run in the addon (ATen / oneDNN): the convolutions and their gradients,
 * matrix products, max pooling and its gradient. Each works on the cpu backend's Float32Arrays in place and writes a
 * fresh Float32Array that becomes the output's storage (no copies on the way in or out). Whatever a native kernel
 * does not cover (NCHW, asymmetric 'same' padding, broadcasting it does not do, other dtypes or activations) is
 * handed to the cpu backend's own kernel, which the native backend also is.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon';
import { type CpuLike, alloc, cpuKernel, float32, output, sizeOf } from './memory';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Padding ATen can take: the same on both sides. */
function symmetric(info: Conv2DInfo): boolean {
  const p = info.padInfo;
  return p.top === p.bottom && p.left === p.right;
}

function allFloat(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every((i) => !i || i.dtype === 'float32');
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
  );
}

const geometry = (i: Conv2DInfo) => ({
  stride: [i.strideHeight, i.strideWidth],
  padding: [i.padInfo.top, i.padInfo.left],
  dilation: [i.dilationHeight, i.dilationWidth],
});

export function nativeKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  const conv2d: tf.KernelFunc = (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = args.attrs as unknown as ConvAttrs & { activation?: string };
    const fused = 'activation' in a || bias !== undefined;
    const activation = a.activation ?? 'linear';
    const info = convInfo(x!.shape, filter!.shape, a);
    const biasOk = !bias || (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
    if (
      a.dataFormat === 'NCHW' ||
      !symmetric(info) ||
      !allFloat(x, filter, bias) ||
      preluActivationWeights ||
      !biasOk ||
      (activation !== 'linear' && activation !== 'relu')
    ) {
      return cpuKernel(fused ? 'FusedConv2D' : 'Conv2D')(args);
    }
    const b = args.backend as CpuLike;
    const g = geometry(info);
    const out = alloc(b, sizeOf(info.outShape));
    addon.conv2d(
      float32(b, x!),
      x!.shape,
      float32(b, filter!),
      filter!.shape,
      out,
      info.outShape,
      g.stride,
      g.padding,
      g.dilation,
      bias ? float32(b, bias) : null,
      activation === 'relu',
    );
    return output(b, info.outShape, out);
  };

  const conv2dBackpropInput: tf.KernelFunc = (args) => {
    const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
    const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const info = convInfo(a.inputShape, filter.shape, a);
    if (a.dataFormat === 'NCHW' || !symmetric(info) || !allFloat(dy, filter)) return cpuKernel('Conv2DBackpropInput')(args);
    const b = args.backend as CpuLike;
    const g = geometry(info);
    const out = alloc(b, sizeOf(a.inputShape));
    addon.conv2dBackpropInput(float32(b, dy), dy.shape, float32(b, filter), filter.shape, out, a.inputShape, g.stride, g.padding, g.dilation);
    return output(b, a.inputShape, out);
  };

  const conv2dBackpropFilter: tf.KernelFunc = (args) => {
    const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
    const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const info = convInfo(x.shape, a.filterShape, a);
    if (a.dataFormat === 'NCHW' || !symmetric(info) || !allFloat(x, dy)) return cpuKernel('Conv2DBackpropFilter')(args);
    const b = args.backend as CpuLike;
    const g = geometry(info);
    const out = alloc(b, sizeOf(a.filterShape));
    addon.conv2dBackpropFilter(float32(b, x), x.shape, float32(b, dy), dy.shape, out, a.filterShape, g.stride, g.padding, g.dilation);
    return output(b, a.filterShape, out);
  };

  /** [..., M, K] · [..., K, N] with equal outer dimensions or one side's outer size 1 (plus tfjs's fused bias/relu). */
  const batchMatMul: tf.KernelFunc = (args) => {
    const { a, b: bIn, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
    const fused = 'activation' in attrs || bias !== undefined;
    const activation = attrs.activation ?? 'linear';
    const fallback = () => cpuKernel(fused ? '_FusedMatMul' : 'BatchMatMul')(args);
    if (!allFloat(a, bIn, bias) || preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return fallback();
    const ra = a!.shape.length;
    const rb = bIn!.shape.length;
    const outerA = a!.shape.slice(0, -2);
    const outerB = bIn!.shape.slice(0, -2);
    const na = sizeOf(outerA);
    const nb = sizeOf(outerB);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    if (na !== nb && na !== 1 && nb !== 1) return fallback();
    if (sizeOf(outer) !== Math.max(na, nb)) return fallback();
    const m = attrs.transposeA ? a!.shape[ra - 1] : a!.shape[ra - 2];
    const n = attrs.transposeB ? bIn!.shape[rb - 2] : bIn!.shape[rb - 1];
    if (bias && sizeOf(bias.shape) !== n) return fallback();
    const backend = args.backend as CpuLike;
    const outShape = [...outer, m, n];
    const out = alloc(backend, sizeOf(outShape));
    addon.batchMatMul(
      float32(backend, a!),
      [na, a!.shape[ra - 2], a!.shape[ra - 1]],
      float32(backend, bIn!),
      [nb, bIn!.shape[rb - 2], bIn!.shape[rb - 1]],
      out,
      attrs.transposeA,
      attrs.transposeB,
    );
    if (bias || activation === 'relu') addBiasRelu(out, bias ? float32(backend, bias) : null, activation === 'relu');
    return output(backend, outShape, out);
  };

  interface PoolAttrs {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  }
  const poolInfo = (shape: number[], a: PoolAttrs) =>
    tf.backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  /** Padding ATen's max pooling takes: symmetric and at most half the window. */
  const poolable = (i: Conv2DInfo) =>
    symmetric(i) && 2 * i.padInfo.top <= i.filterHeight && 2 * i.padInfo.left <= i.filterWidth && i.dilationHeight === 1 && i.dilationWidth === 1;

  const maxPool: tf.KernelFunc = (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    if (!poolable(info) || !allFloat(x)) return cpuKernel('MaxPool')(args);
    const b = args.backend as CpuLike;
    const out = alloc(b, sizeOf(info.outShape));
    addon.maxPool(
      float32(b, x),
      x.shape,
      out,
      info.outShape,
      [info.filterHeight, info.filterWidth],
      [info.strideHeight, info.strideWidth],
      [info.padInfo.top, info.padInfo.left],
    );
    return output(b, info.outShape, out);
  };

  const maxPoolGrad: tf.KernelFunc = (args) => {
    const { dy, input } = args.inputs as Record<string, tf.TensorInfo>;
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    if (!poolable(info) || !allFloat(dy, input)) return cpuKernel('MaxPoolGrad')(args);
    const b = args.backend as CpuLike;
    const out = alloc(b, sizeOf(input.shape));
    addon.maxPoolGrad(
      float32(b, dy),
      dy.shape,
      float32(b, input),
      input.shape,
      out,
      [info.filterHeight, info.filterWidth],
      [info.strideHeight, info.strideWidth],
      [info.padInfo.top, info.padInfo.left],
    );
    return output(b, input.shape, out);
  };

  return {
    Conv2D: conv2d,
    FusedConv2D: conv2d,
    Conv2DBackpropInput: conv2dBackpropInput,
    Conv2DBackpropFilter: conv2dBackpropFilter,
    BatchMatMul: batchMatMul,
    _FusedMatMul: batchMatMul,
    MaxPool: maxPool,
    MaxPoolGrad: maxPoolGrad,
  };
}

/** out[..., j] += bias[j], then max(·, 0) (the small dense outputs of the pretraining heads). */
function addBiasRelu(out: Float32Array, bias: Float32Array | null, relu: boolean): void {
  const n = bias ? bias.length : 1;
  for (let i = 0; i < out.length; i++) {
    const v = bias ? out[i] + bias[i % n] : out[i];
    out[i] = relu && v < 0 ? 0 : v;
  }
}
