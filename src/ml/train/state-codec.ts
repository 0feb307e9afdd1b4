/** How a Trainer's exported state (./trainer.ts exportState) writes its scheduler and optimiser numbers. */
import type * as tf from '@tensorflow/tfjs';
import type { PlateauState } from './plateau';

export function encodePlateau(s: PlateauState): Record<string, number | null> {
  return { lr: s.lr, best: Number.isFinite(s.best) ? s.best : null, wait: s.wait };
}

export function decodePlateau(s: { lr: number; best: number | null; wait: number }): PlateauState {
  return { lr: s.lr, best: s.best ?? Infinity, wait: s.wait };
}

export function bytesToFloat32(bytes: Uint8Array): Float32Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return new Float32Array(padded.buffer);
}

export function float32ToBytes(values: Float32Array, length: number): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(0, length);
}

/** Adam's accumulated β powers (accBeta1, accBeta2, internal to tfjs' AdamOptimizer): part of the exported training state. */
export function adamBetaPowers(optimizer: tf.AdamOptimizer): [tf.Variable, tf.Variable] {
  const o = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  return [o.accBeta1, o.accBeta2];
}
