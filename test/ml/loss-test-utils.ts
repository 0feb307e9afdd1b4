/** Helpers for the loss tests: the wasm backend, and a central finite-difference gradient check. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`expected the wasm backend, got ${tf.getBackend()}`);
}

/**
 * Analytic gradient of `loss` at `x` (tf.grad on the current backend) against central differences
 * (f(x + h e_i) − f(x − h e_i)) / 2h evaluated in float32 on the same backend, for every coordinate of x.
 * Returns the largest |analytic − numeric| relative to the largest |numeric| component (the gradient's scale), and
 * throws when the gradient is all zeros (a check that would pass vacuously).
 */
export function maxGradientError(loss: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, h = 1e-2): number {
  const analytic = tf.tidy(() => tf.grad(loss)(x).dataSync().slice());
  const base = x.dataSync().slice();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number =>
      tf.tidy(() => {
        const v = base.slice();
        v[i] += delta;
        return loss(tf.tensor(v, x.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    worst = Math.max(worst, Math.abs(analytic[i] - numeric));
    scale = Math.max(scale, Math.abs(numeric));
  }
  if (scale === 0) throw new Error('maxGradientError: the numeric gradient is zero everywhere');
  return worst / scale;
}
