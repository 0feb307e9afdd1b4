import * as tf from '@tensorflow/tfjs';

/** Dispose every tensor found in a batch (plain objects and arrays, one level deep or nested). */
export function disposeTensors(batch: unknown): void {
  if (batch instanceof tf.Tensor) {
    batch.dispose();
  } else if (Array.isArray(batch)) {
    batch.forEach(disposeTensors);
  } else if (batch && typeof batch === 'object' && !ArrayBuffer.isView(batch)) {
    Object.values(batch).forEach(disposeTensors);
  }
}

/** The int32 and bool tensors of a batch (same traversal as disposeTensors). */
export function intTensors(batch: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (batch instanceof tf.Tensor) {
    if (batch.dtype !== 'float32') out.push(batch);
  } else if (Array.isArray(batch)) {
    batch.forEach((b) => intTensors(b, out));
  } else if (batch && typeof batch === 'object' && !ArrayBuffer.isView(batch)) {
    Object.values(batch).forEach((b) => intTensors(b, out));
  }
  return out;
}
