/**
 * Seeded pseudo-random numbers: mulberry32 (Tommy Ettinger's 32-bit generator, public domain), small, fast and
 * with a 32-bit state that checkpoints as one number. Not for cryptography.
 */

/** A generator of floats in [0, 1) with an exportable state. */
export interface Rng {
  (): number;
  /** The 32-bit state; `createRng(state)` continues the same sequence. */
  state(): number;
}

/** mulberry32 from a 32-bit seed (or a saved state). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.state = () => a;
  return next;
}

/** Shorthand: a plain `() => number` from a seed. */
export function mulberry32(seed: number): () => number {
  return createRng(seed);
}

/** Integer in [0, n). */
export function randInt(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}

/** Uniform in [lo, hi). */
export function uniform(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Standard normal (Box–Muller). */
export function normal(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(rng: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** A 32-bit seed derived from a parent seed and a label (FNV-1a), for independent streams. */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** An Rng with an integer helper, for code that draws indices (k-means++ seeding, CLC anchors). */
export interface SeededRng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** The same mulberry32 stream, seeded through a golden-ratio mix so that small seeds (0, 1, 2) start far apart. */
export function seededRng(seed: number): SeededRng {
  if (!Number.isFinite(seed)) throw new RangeError(`seededRng: seed must be a finite number, got ${seed}`);
  const rng = createRng((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
  return { next: rng, int: (n: number) => randInt(rng, n) };
}
