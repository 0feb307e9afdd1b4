/**
 * The GroupNorm (+ReLU) kernels of ../kernels/group-norm.ts (same names, attributes and stash protocol, so the same
 * gradient registration serves) running in the addon: native/groupnorm.cc holds the formulas.
 */
import * as tf from '@tensorflow/tfjs';
import { GROUP_NORM, GROUP_NORM_GRAD_PARAMS, GROUP_NORM_GRAD_X, type GroupNormAttrs } from '../kernels/group-norm';
import type { NativeAddon } from './addon';
import { type CpuLike, alloc, float32, output, sizeOf } from './memory';

interface Stats {
  mean: Float64Array;
  inv: Float64Array;
}

/** [batch, pixels, channels] of an NHWC (or [B, C]) tensor. */
function layout(x: tf.TensorInfo): number[] {
  const c = x.shape[x.shape.length - 1];
  const batch = x.shape[0];
  return [batch, sizeOf(x.shape) / (batch * c), c];
}

export function nativeGroupNormKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  const stats = (b: CpuLike, x: tf.TensorInfo, a: GroupNormAttrs, stash?: Partial<Stats>): Stats => {
    if (stash?.mean && stash.inv) return stash as Stats;
    const n = x.shape[0] * a.groups;
    const st = { mean: new Float64Array(n), inv: new Float64Array(n) };
    addon.groupNormStats(float32(b, x), layout(x), a.groups, a.epsilon, st.mean, st.inv);
    return st;
  };

  const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as GroupNormAttrs & { stash?: Partial<Stats> };
    const b = backend as CpuLike;
    const st = stats(b, x, a);
    if (a.stash) Object.assign(a.stash, st);
    const y = alloc(b, sizeOf(x.shape));
    addon.groupNormForward(float32(b, x), layout(x), a.groups, a.relu, float32(b, gamma), float32(b, beta), st.mean, st.inv, y);
    return output(b, x.shape, y);
  };

  /** dx, and dγ, dβ into attrs.params on the way (the gradient registered in ../kernels/group-norm.ts reads them). */
  const gradX: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as GroupNormAttrs & { stash?: Stats; params?: { dgamma?: Float32Array; dbeta?: Float32Array } };
    const b = backend as CpuLike;
    const st = stats(b, x, a, a.stash);
    const c = x.shape[x.shape.length - 1];
    const dx = alloc(b, sizeOf(x.shape));
    const dgamma = new Float32Array(c);
    const dbeta = new Float32Array(c);
    addon.groupNormGrad(float32(b, dy), float32(b, x), layout(x), a.groups, a.relu, float32(b, gamma), float32(b, beta), st.mean, st.inv, dx, dgamma, dbeta);
    if (a.params) Object.assign(a.params, { dgamma, dbeta });
    return output(b, x.shape, dx);
  };

  /** dγ and dβ alone as one [2, C] output. */
  const gradParams: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as GroupNormAttrs & { stash?: Stats };
    const b = backend as CpuLike;
    const st = stats(b, x, a, a.stash);
    const c = x.shape[x.shape.length - 1];
    const out = new Float32Array(2 * c);
    addon.groupNormGrad(
      float32(b, dy),
      float32(b, x),
      layout(x),
      a.groups,
      a.relu,
      float32(b, gamma),
      float32(b, beta),
      st.mean,
      st.inv,
      null,
      out.subarray(0, c),
      out.subarray(c),
    );
    return output(b, [2, c], out);
  };

  return { [GROUP_NORM]: forward, [GROUP_NORM_GRAD_X]: gradX, [GROUP_NORM_GRAD_PARAMS]: gradParams };
}
