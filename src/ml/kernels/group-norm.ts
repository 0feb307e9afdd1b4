/**
 * GroupNorm (+ optional fused ReLU) as kernels written in JavaScript over the backend's memory, for wasm and cpu.
 *
 * Composed of tfjs ops, a GroupNorm forward + backward costs ~20 broadcasting element-wise kernels, which wasm runs
 * without SIMD: at 64²×16 the U-Net spent more time in GN than in its convolutions. Here the forward is two passes
 * over x and the backward three (x gradient) plus two (γ, β gradients).
 *
 * Formulas (x NHWC, per sample b and group g of C/G channels, n = H·W·C/G values; Wu & He 2018):
 *   μ = Σx / n,  σ² = Σx² / n − μ²,  r = 1/√(σ² + ε),  x̂ = (x − μ)·r,  z = γ_c x̂ + β_c,  y = relu ? max(z, 0) : z
 * Backward with dy' = dy·[z > 0] (or dy), g = dy'·γ_c:
 *   dx = r·(g − mean_g(g) − x̂·mean_g(g·x̂)),  dγ_c = Σ_{b,h,w} dy'·x̂,  dβ_c = Σ_{b,h,w} dy'
 * Sums are accumulated in float64.
 */
import * as tf from '@tensorflow/tfjs';
import { affineCoefficients, computeStats, layout, type Stats } from './group-norm-stats';
import { memoryOf } from './util';

export const GROUP_NORM = 'NephronGroupNorm';
export const GROUP_NORM_GRAD_X = 'NephronGroupNormGradX';
export const GROUP_NORM_GRAD_PARAMS = 'NephronGroupNormGradParams';

export interface GroupNormAttrs {
  groups: number;
  epsilon: number;
  relu: boolean;
}

/** Scratch object passed in the attrs of the x-gradient kernel, which fills it with dγ and dβ on the way. */
interface ParamGrads {
  dgamma?: Float32Array;
  dbeta?: Float32Array;
}

function forward(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const { groups, epsilon, relu, stash } = attrs as unknown as GroupNormAttrs & { stash?: Partial<Stats> };
    const mem = memoryOf(backendName, backend as unknown as tf.KernelBackend);
    const l = layout(x, groups);
    const out = mem.alloc(x.shape);
    const xv = mem.read(x);
    const st = computeStats(xv, l, epsilon);
    if (stash) Object.assign(stash, st);
    const { a, s } = affineCoefficients(st, mem.read(gamma), mem.read(beta), l);
    const y = out.view();
    const half = relu ? 0.5 : 0;
    const c = l.channels;
    for (let b = 0; b < l.batch; b++) {
      let i = b * l.pixels * c;
      const o = b * c;
      for (let p = 0; p < l.pixels; p++) {
        for (let k = 0; k < c; k++, i++) {
          const z = xv[i] * a[o + k] + s[o + k];
          y[i] = z + half * (Math.abs(z) - z);
        }
      }
    }
    return out.info;
  };
}

/**
 * dx; also fills attrs.params (when given) with dγ, dβ, which fall out of the same sums:
 * Σ dy'·x̂ = r·(Σ dy'·x − μ Σ dy') per sample and group.
 */
function gradX(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const { groups, epsilon, relu, stash, params } = attrs as unknown as GroupNormAttrs & { stash?: Stats; params?: ParamGrads };
    const mem = memoryOf(backendName, backend as unknown as tf.KernelBackend);
    const l = layout(x, groups);
    const out = mem.alloc(x.shape);
    const xv = mem.read(x);
    const dyv = mem.read(dy);
    const gam = mem.read(gamma);
    const st = stash?.mean ? stash : computeStats(xv, l, epsilon);
    const { a, s } = affineCoefficients(st, gam, mem.read(beta), l);
    const { batch, pixels, channels: c, groups: G, perGroup } = l;
    const n = pixels * perGroup;
    const sd = new Float64Array(c); // Σ dy' per channel of this sample
    const sdx = new Float64Array(c); // Σ dy'·x
    const dgamma = new Float64Array(c);
    const dbeta = new Float64Array(c);
    const A = new Float32Array(c);
    const B = new Float32Array(c);
    const C = new Float32Array(c);
    const dx = out.view();
    const r1 = relu ? 1 : 0;
    for (let b = 0; b < batch; b++) {
      sd.fill(0);
      sdx.fill(0);
      const o = b * c;
      const start = b * pixels * c;
      let i = start;
      for (let p = 0; p < pixels; p++) {
        for (let k = 0; k < c; k++, i++) {
          const v = xv[i];
          const d = dyv[i] * (1 - r1 * Number(v * a[o + k] + s[o + k] <= 0));
          sd[k] += d;
          sdx[k] += d * v;
        }
      }
      // dx = r(g − mean(g) − x̂·mean(g x̂)) with g = γ d, x̂ = (x − μ) r  ⇒  dx = A_k·d + B_k·x + C_k
      for (let g = 0; g < G; g++) {
        const bg = b * G + g;
        const mu = st.mean[bg];
        const r = st.inv[bg];
        let t1 = 0;
        let t2 = 0;
        for (let k = g * perGroup; k < (g + 1) * perGroup; k++) {
          t1 += gam[k] * sd[k];
          t2 += gam[k] * sdx[k];
          dbeta[k] += sd[k];
          dgamma[k] += r * (sdx[k] - mu * sd[k]);
        }
        const m1 = t1 / n;
        const m2 = (r * (t2 - mu * t1)) / n;
        for (let k = g * perGroup; k < (g + 1) * perGroup; k++) {
          A[k] = r * gam[k];
          B[k] = -r * r * m2;
          C[k] = -r * m1 + mu * r * r * m2;
        }
      }
      i = start;
      for (let p = 0; p < pixels; p++) {
        for (let k = 0; k < c; k++, i++) {
          const v = xv[i];
          const d = dyv[i] * (1 - r1 * Number(v * a[o + k] + s[o + k] <= 0));
          dx[i] = A[k] * d + B[k] * v + C[k];
        }
      }
    }
    if (params) {
      params.dgamma = Float32Array.from(dgamma);
      params.dbeta = Float32Array.from(dbeta);
    }
    return out.info;
  };
}

/** dγ and dβ alone as one [2, C] output (row 0 dγ, row 1 dβ), for when x needs no gradient. */
function gradParams(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const { groups, epsilon, relu, stash } = attrs as unknown as GroupNormAttrs & { stash?: Stats };
    const mem = memoryOf(backendName, backend as unknown as tf.KernelBackend);
    const l = layout(x, groups);
    const c = l.channels;
    const out = mem.alloc([2, c]);
    const xv = mem.read(x);
    const dyv = mem.read(dy);
    const st = stash?.mean ? stash : computeStats(xv, l, epsilon);
    const { a, s } = affineCoefficients(st, mem.read(gamma), mem.read(beta), l);
    const dg = new Float64Array(c);
    const db = new Float64Array(c);
    const sd = new Float64Array(c);
    const sx = new Float64Array(c);
    const r1 = relu ? 1 : 0;
    for (let b = 0; b < l.batch; b++) {
      sd.fill(0);
      sx.fill(0);
      const o = b * c;
      let i = b * l.pixels * c;
      for (let p = 0; p < l.pixels; p++) {
        for (let k = 0; k < c; k++, i++) {
          const v = xv[i];
          const d = dyv[i] * (1 - r1 * Number(v * a[o + k] + s[o + k] <= 0));
          sd[k] += d;
          sx[k] += d * v;
        }
      }
      for (let k = 0; k < c; k++) {
        const bg = b * l.groups + ((k / l.perGroup) | 0);
        db[k] += sd[k];
        dg[k] += st.inv[bg] * (sx[k] - st.mean[bg] * sd[k]);
      }
    }
    const v = out.view();
    for (let k = 0; k < c; k++) {
      v[k] = dg[k];
      v[c + k] = db[k];
    }
    return out.info;
  };
}

const registered = new Set<string>();

/** Register the GroupNorm kernels for a backend (wasm or cpu) and, once, their gradient. */
export function registerGroupNormKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  if (backendName !== 'wasm' && backendName !== 'cpu') throw new Error(`GroupNorm kernels: unsupported backend ${backendName}`);
  for (const [name, fn] of [
    [GROUP_NORM, forward],
    [GROUP_NORM_GRAD_X, gradX],
    [GROUP_NORM_GRAD_PARAMS, gradParams],
  ] as const) {
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: fn(backendName) });
  }
  if (registered.size === 0) {
    tf.registerGradient({
      kernelName: GROUP_NORM,
      inputsToSave: ['x', 'gamma', 'beta'],
      gradFunc: (dy, saved, attrs) => {
        const [x, gamma, beta] = saved;
        const inputs = { dy: dy as tf.Tensor, x, gamma, beta };
        // The engine asks for the input gradients one at a time, x first: the x kernel also leaves dγ, dβ in
        // `params`; if x needs no gradient, one params kernel computes both.
        const params: ParamGrads = {};
        const a = { ...(attrs as object), params } as unknown as tf.NamedAttrMap;
        const ensureParams = (): Required<ParamGrads> => {
          if (!params.dgamma) {
            const t = tf.engine().runKernel(GROUP_NORM_GRAD_PARAMS, inputs, a) as tf.Tensor;
            const v = t.dataSync() as Float32Array;
            t.dispose();
            const c = v.length / 2;
            params.dgamma = v.slice(0, c);
            params.dbeta = v.slice(c);
          }
          return params as Required<ParamGrads>;
        };
        return {
          x: () => tf.engine().runKernel(GROUP_NORM_GRAD_X, inputs, a) as tf.Tensor,
          gamma: () => tf.tensor1d(ensureParams().dgamma),
          beta: () => tf.tensor1d(ensureParams().dbeta),
        };
      },
    });
  }
  registered.add(backendName);
}

/** Whether the current backend runs GroupNorm as one kernel. */
export function hasGroupNormKernel(): boolean {
  return tf.getKernel(GROUP_NORM, tf.getBackend()) !== undefined;
}
