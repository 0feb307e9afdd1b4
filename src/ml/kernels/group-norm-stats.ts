/**
 * The statistics the GroupNorm kernels (./group-norm.ts) share: the (batch, pixels, channels) layout of x, per
 * (sample, group) mean and 1/√(σ² + ε), and the per-(sample, channel) coefficients of z = x·a + s (Wu & He 2018).
 */
import type * as tf from '@tensorflow/tfjs';

export interface Layout {
  batch: number;
  pixels: number;
  channels: number;
  groups: number;
  perGroup: number;
}

export function layout(x: tf.TensorInfo, groups: number): Layout {
  const channels = x.shape[x.shape.length - 1];
  const batch = x.shape[0];
  const pixels = x.shape.reduce((p, d) => p * d, 1) / (batch * channels);
  return { batch, pixels, channels, groups, perGroup: channels / groups };
}

/** Per-(sample, group) statistics of x, kept from the forward pass for the backward (a "stash" in the attrs). */
export interface Stats {
  mean: Float64Array;
  inv: Float64Array;
}

/** Per (b, g): mean and 1/√(var + ε) (one pass, float64 sums). */
export function computeStats(x: Float32Array, l: Layout, eps: number): Stats {
  const { batch, pixels, channels: c, groups, perGroup } = l;
  const mean = new Float64Array(batch * groups);
  const inv = new Float64Array(batch * groups);
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const n = pixels * perGroup;
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    sq.fill(0);
    let i = b * pixels * c;
    for (let p = 0; p < pixels; p++) {
      for (let k = 0; k < c; k++, i++) {
        const v = x[i];
        sum[k] += v;
        sq[k] += v * v;
      }
    }
    for (let g = 0; g < groups; g++) {
      let s1 = 0;
      let s2 = 0;
      for (let k = g * perGroup; k < (g + 1) * perGroup; k++) {
        s1 += sum[k];
        s2 += sq[k];
      }
      const mu = s1 / n;
      mean[b * groups + g] = mu;
      inv[b * groups + g] = 1 / Math.sqrt(Math.max(s2 / n - mu * mu, 0) + eps);
    }
  }
  return { mean, inv };
}

/** Per (b, c): z = x·a + s with a = r·γ_c, s = β_c − μ·a. */
export function affineCoefficients(st: Stats, gamma: Float32Array, beta: Float32Array, l: Layout) {
  const { batch, channels: c, groups, perGroup } = l;
  const a = new Float32Array(batch * c);
  const s = new Float32Array(batch * c);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < c; k++) {
      const bg = b * groups + ((k / perGroup) | 0);
      const ak = st.inv[bg] * gamma[k];
      a[b * c + k] = ak;
      s[b * c + k] = beta[k] - st.mean[bg] * ak;
    }
  }
  return { a, s };
}

// The element loops below avoid data-dependent branches: with ReLU's 50/50 signs a `z < 0 ? 0 : z` costs V8 ~3×
// the whole loop in mispredictions. max(z, 0) = (z + |z|)/2 and the mask [z > 0] = Number(z > 0) compile branch-free.
