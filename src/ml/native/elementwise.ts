/**
 * Element-wise, reduction, softmax and data-movement kernels of the `native` backend (native/elementwise.cc).
 * tfjs's cpu backend does broadcasts, strided slices and transposes with per-element index arithmetic in JavaScript:
 * a first profile of a 64²×16 fine-tuning step on the cpu backend with native convolutions spent 1.3 s of 1.7 s in
 * SplitV (the concatenations' gradient) and most of the rest in Adam's scalar-broadcast Multiply / Add. Tensors
 * smaller than SMALL stay with the cpu kernels (a call into the addon costs more than the work).
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon';
import { type CpuLike, alloc, cpuKernel, float32, output, sizeOf } from './memory';

const SMALL = 256;

// Codes mirrored by the enums in native/elementwise.cc.
const BINARY_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'];
const UNARY_OPS = ['Sqrt', 'Square', 'Exp', 'Log', 'Neg', 'Abs', 'Relu', 'Rsqrt', 'Sigmoid', 'Reciprocal'];
const REDUCE_OPS = ['Sum', 'Max', 'Min', 'Mean'];

const isFloat = (...xs: tf.TensorInfo[]) => xs.every((x) => x.dtype === 'float32');

export function nativeElementwiseKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  const kernels: Record<string, tf.KernelFunc> = {};

  BINARY_OPS.forEach((name, code) => {
    kernels[name] = (args) => {
      const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (!isFloat(a, b) || sizeOf(outShape) < SMALL) return cpuKernel(name)(args);
      const backend = args.backend as CpuLike;
      const out = alloc(backend, sizeOf(outShape));
      addon.binary(code, float32(backend, a), a.shape, float32(backend, b), b.shape, out, outShape);
      return output(backend, outShape, out);
    };
  });

  UNARY_OPS.forEach((name, code) => {
    kernels[name] = (args) => {
      const { x } = args.inputs as Record<string, tf.TensorInfo>;
      if (!isFloat(x) || sizeOf(x.shape) < SMALL) return cpuKernel(name)(args);
      const backend = args.backend as CpuLike;
      const out = alloc(backend, sizeOf(x.shape));
      addon.unary(code, float32(backend, x), out);
      return output(backend, x.shape, out);
    };
  });

  REDUCE_OPS.forEach((name, code) => {
    kernels[name] = (args) => {
      const { x } = args.inputs as Record<string, tf.TensorInfo>;
      const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape);
      if (!isFloat(x) || axes.length === 0 || sizeOf(x.shape) < SMALL) return cpuKernel(name)(args);
      const backend = args.backend as CpuLike;
      const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      const out = alloc(backend, sizeOf(outShape));
      addon.reduce(code, float32(backend, x), x.shape, axes, out);
      return output(backend, outShape, out);
    };
  });

  kernels.Softmax = (args) => {
    const { logits } = args.inputs as Record<string, tf.TensorInfo>;
    const { dim } = args.attrs as { dim: number };
    const rank = logits.shape.length;
    if (!isFloat(logits) || (dim !== -1 && dim !== rank - 1) || sizeOf(logits.shape) < SMALL) return cpuKernel('Softmax')(args);
    const backend = args.backend as CpuLike;
    const out = alloc(backend, sizeOf(logits.shape));
    addon.softmax(float32(backend, logits), logits.shape, out);
    return output(backend, logits.shape, out);
  };

  kernels.Transpose = (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const { perm } = args.attrs as { perm: number[] };
    if (!isFloat(x) || sizeOf(x.shape) < SMALL) return cpuKernel('Transpose')(args);
    const backend = args.backend as CpuLike;
    const outShape = perm.map((p) => x.shape[p]);
    const out = alloc(backend, sizeOf(outShape));
    addon.transpose(float32(backend, x), x.shape, perm, out);
    return output(backend, outShape, out);
  };

  kernels.Slice = (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
    // A contiguous slice is a view on the cpu backend (no copy): leave it there.
    if (!isFloat(x) || tf.slice_util.isSliceContinous(x.shape, begin, size) || sizeOf(size) < SMALL) return cpuKernel('Slice')(args);
    const backend = args.backend as CpuLike;
    const out = alloc(backend, sizeOf(size));
    addon.slice(float32(backend, x), x.shape, begin, size, out);
    return output(backend, size, out);
  };

  kernels.SplitV = (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    if (!isFloat(x) || sizeOf(x.shape) < SMALL) return cpuKernel('SplitV')(args);
    const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
    const backend = args.backend as CpuLike;
    const shapes = sizes.map((s) => x.shape.map((d, i) => (i === axis ? s : d)));
    const outs = shapes.map((s) => alloc(backend, sizeOf(s)));
    addon.split(float32(backend, x), x.shape, axis, sizes, outs);
    return outs.map((o, i) => output(backend, shapes[i], o));
  };

  kernels.Concat = (args) => {
    const inputs = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as tf.TensorInfo[];
    const { axis: axisAttr } = args.attrs as { axis: number };
    const parts = inputs.filter((t) => sizeOf(t.shape) > 0);
    if (parts.length < 2 || !isFloat(...parts)) return cpuKernel('Concat')(args);
    const axis = tf.util.parseAxisParam(axisAttr, parts[0].shape)[0];
    const outShape = tf.backend_util.computeOutShape(
      parts.map((t) => t.shape),
      axis,
    );
    if (sizeOf(outShape) < SMALL) return cpuKernel('Concat')(args);
    const backend = args.backend as CpuLike;
    const out = alloc(backend, sizeOf(outShape));
    addon.concat(
      parts.map((t) => float32(backend, t)),
      parts.map((t) => t.shape),
      axis,
      out,
      outShape,
    );
    return output(backend, outShape, out);
  };

  return kernels;
}
