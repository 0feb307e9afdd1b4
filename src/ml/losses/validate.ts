/** Shape checks shared by the loss modules: each throws a RangeError whose message names the shapes involved. */
import type * as tf from '@tensorflow/tfjs';

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function requireRank(name: string, fn: string, t: tf.Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) {
    throw new RangeError(`${fn}: ${name} must have rank ${rank} ${layout}, got shape ${shapeText(t.shape)}`);
  }
}

export function requireSameShape(fn: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${fn}: ${aName} ${shapeText(a.shape)} and ${bName} ${shapeText(b.shape)} must have the same shape`);
  }
}

export function requirePositive(fn: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${fn}: ${name} must be > 0, got ${value}`);
}

export function requirePositiveInteger(fn: string, name: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${value}`);
  }
}
