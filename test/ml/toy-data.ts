import { createRng, normal, uniform } from '../../src/ml/random';

/** Bright discs of random position and size on noise: images in [0,1]-ish, label 1 inside the disc. */
export function discBatch(seed: number, batch: number, size: number): { images: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const images = new Float32Array(batch * size * size);
  const labels = new Int32Array(batch * size * size);
  for (let b = 0; b < batch; b++) {
    const r = uniform(rng, size * 0.12, size * 0.28);
    const cy = uniform(rng, r + 1, size - r - 1);
    const cx = uniform(rng, r + 1, size - r - 1);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = (b * size + y) * size + x;
        const inside = (y - cy) ** 2 + (x - cx) ** 2 <= r * r;
        images[i] = (inside ? 0.75 : 0.25) + 0.12 * normal(rng);
        labels[i] = inside ? 1 : 0;
      }
    }
  }
  return { images, labels };
}
