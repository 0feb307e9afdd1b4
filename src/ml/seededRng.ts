/**
 * A small seeded pseudo-random generator (mulberry32, Tommy Ettinger's 32-bit mixer), so that the losses'
 * anchor sampling and the constraint maps' k-means++ initialisation are reproducible for a given seed on any
 * platform. Not cryptographic; period 2^32, which is ample for sampling.
 */
export interface SeededRng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function seededRng(seed: number): SeededRng {
  if (!Number.isFinite(seed)) throw new RangeError(`seededRng: seed must be a finite number, got ${seed}`);
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}
