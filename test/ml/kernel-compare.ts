/**
 * Kernel tests compare a backend against tfjs's cpu backend: the value of f and its gradient w.r.t. every input,
 * each to 1e-4 relative (absolute below 1).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { mulberry32 } from '../../src/ml/random';

export type Input = { shape: number[]; values: Float32Array };

export function randomValues(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

export function input(shape: number[], seed: number): Input {
  return {
    shape,
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  };
}

/** Values of `f(...inputs)` and (with `grads`) of its gradients w.r.t. every input, on one backend. */
async function valueAndGrads(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], grads: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const value = f(...xs);
    if (!grads) return [value.dataSync() as Float32Array];
    // A random projection makes every output element matter to the scalar loss.
    const proj = tf.tensor(randomValues(value.size, 99), value.shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), proj)))(xs);
    return [value, ...g].map((t) => t.dataSync() as Float32Array);
  });
}

/** `backend` against cpu on f; leaves `backend` current. */
export async function compareWithCpu(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], grads = true): Promise<void> {
  const tested = await valueAndGrads(backend, f, inputs, grads);
  const cpu = await valueAndGrads('cpu', f, inputs, grads);
  await tf.setBackend(backend);
  expect(tested.length).toBe(cpu.length);
  for (let k = 0; k < tested.length; k++) {
    expect(tested[k].length).toBe(cpu[k].length);
    let worst = 0;
    for (let i = 0; i < tested[k].length; i++) {
      worst = Math.max(worst, Math.abs(tested[k][i] - cpu[k][i]) / Math.max(1, Math.abs(cpu[k][i])));
    }
    expect(worst, `output ${k} (0 = value, then the gradients)`).toBeLessThan(1e-4);
  }
}

/** After a first call (which may cache), `step` leaves the tensor count and the backend's data count unchanged. */
export function expectStepFreesAll(step: () => void): void {
  step();
  const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
  for (let i = 0; i < 3; i++) step();
  expect({ tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }).toEqual(before);
}
