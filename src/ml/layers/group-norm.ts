/**
 * Group Normalization (Wu & He, ECCV 2018, "Group Normalization"), channels-last.
 *
 * For x [B,H,W,C] split into G groups of C/G channels, per sample b and group g:
 *   μ = mean over (h, w, c ∈ g) of x,  σ² = mean of (x − μ)²,  x̂ = (x − μ) / √(σ² + ε),  y = γ_c · x̂ + β_c
 * with per-channel γ (init 1) and β (init 0). The gradient is written out (tf.customGrad) instead of derived by
 * autodiff, which halves the kernels of the backward pass; with g = dy·γ and means over the same (h, w, c ∈ g):
 *   dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(σ² + ε),  dγ = Σ_{b,h,w} dy · x̂,  dβ = Σ_{b,h,w} dy.
 */
import * as tf from '@tensorflow/tfjs';
import { GROUP_NORM, hasGroupNormKernel } from '../kernels/group-norm';

/**
 * Functional group norm (optionally followed by ReLU); x is rank 4 (NHWC) or rank 2 ([B, C], one "pixel").
 * On wasm and cpu it runs as one kernel (../kernels/group-norm.ts); elsewhere as tfjs ops with the gradient below.
 */
export function groupNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number, relu = false): tf.Tensor {
  const c = x.shape[x.shape.length - 1];
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels are not divisible into ${groups} groups`);
  if (hasGroupNormKernel()) {
    // `stash` keeps this call's mean and 1/σ for the backward pass (see ../kernels/group-norm.ts).
    const attrs = { groups, epsilon, relu, stash: {} } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(GROUP_NORM, { x, gamma, beta }, attrs) as tf.Tensor;
  }
  const y = groupNormOps(x, gamma, beta, groups, epsilon);
  return relu ? tf.relu(y) : y;
}

/** GroupNorm from tfjs ops with a hand-written gradient (the backends without the kernel, and a test reference). */
export function groupNormOps(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number): tf.Tensor {
  const shape = x.shape;
  const c = shape[shape.length - 1];
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels are not divisible into ${groups} groups`);
  const batch = shape[0];
  const pixels = x.size / (batch * c);
  const grouped = [batch, pixels, groups, c / groups];
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const xr = tf.reshape(xIn as tf.Tensor, grouped);
    const { mean, variance } = tf.moments(xr, [1, 3], true);
    const inv = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(xr, mean), inv);
    const value = tf.add(tf.mul(tf.reshape(xhat, shape), gammaIn as tf.Tensor), betaIn as tf.Tensor);
    (save as tf.GradSaveFunc)([xhat, inv]);
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const dyT = dy as tf.Tensor;
      const [xh, iv] = saved;
      const axes = shape.map((_, i) => i).slice(0, -1);
      const dbeta = tf.sum(dyT, axes);
      const dgamma = tf.sum(tf.mul(dyT, tf.reshape(xh, shape)), axes);
      const g = tf.reshape(tf.mul(dyT, gammaIn as tf.Tensor), grouped);
      const meanG = tf.mean(g, [1, 3], true);
      const meanGX = tf.mean(tf.mul(g, xh), [1, 3], true);
      const dx = tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(xh, meanGX)), iv);
      return [tf.reshape(dx, shape), dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  return op(x, gamma, beta);
}

export interface GroupNormArgs {
  groups: number;
  epsilon?: number;
  /** Fuse a ReLU after the normalisation (default false). */
  relu?: boolean;
  name?: string;
  trainable?: boolean;
}

/** GroupNorm as a serialisable tfjs-layers layer (weights `gamma`, `beta`, one per channel). */
export class GroupNorm extends tf.layers.Layer {
  static className = 'GroupNorm';
  readonly groups: number;
  readonly epsilon: number;
  readonly relu: boolean;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: GroupNormArgs) {
    super(args);
    this.groups = args.groups;
    this.epsilon = args.epsilon ?? 1e-5;
    this.relu = args.relu ?? false;
    this.supportsMasking = false;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null || channels % this.groups !== 0) {
      throw new Error(`GroupNorm ${this.name}: ${channels} channels are not divisible into ${this.groups} groups`);
    }
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return groupNorm(x, this.gamma.read(), this.beta.read(), this.groups, this.epsilon, this.relu);
    });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, epsilon: this.epsilon, relu: this.relu };
  }
}

tf.serialization.registerClass(GroupNorm);
