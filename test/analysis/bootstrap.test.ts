import { describe, expect, it } from 'vitest';
import { ceilingDice, locationPriorDice } from '../../src/analysis/baselines';
import { bootstrapCi, curveAt, isotonic, matchingN } from '../../src/analysis/bootstrap';

describe('isotonic (pool adjacent violators)', () => {
  it('pools violators into their weighted mean and leaves monotone data alone', () => {
    expect(isotonic([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(isotonic([3, 1], [1, 3])).toEqual([1.5, 1.5]); // (3·1 + 1·3) / 4
    expect(isotonic([0.5, 0.4, 0.3])).toEqual([0.4, 0.4, 0.4].map((v) => expect.closeTo(v, 12)));
    expect(isotonic([0.1, 0.2, 0.3])).toEqual([0.1, 0.2, 0.3]);
  });
});

describe('matchingN and curveAt (log-N interpolation on the isotonic fit)', () => {
  const curve = [
    { n: 20, dice: 0.9 },
    { n: 2, dice: 0.6 },
    { n: 8, dice: 0.8 },
  ];

  it('interpolates linearly in log N', () => {
    // 0.7 lies halfway from 0.6 (N 2) to 0.8 (N 8): log N = ln 2 + ½ ln 4 → N = 4
    expect(matchingN(curve, 0.7)).toBeCloseTo(4, 10);
    expect(curveAt(curve, 4)).toBeCloseTo(0.7, 10);
    expect(curveAt(curve, 20)).toBe(0.9);
    expect(curveAt(curve, 58)).toBeNull();
  });

  it('returns the smallest N when already reached, null when never', () => {
    expect(matchingN(curve, 0.5)).toBe(2);
    expect(matchingN(curve, 0.95)).toBeNull();
  });

  it('reads a noisy, non-monotone curve off its isotonic fit, so one lucky N cannot decide', () => {
    // (2, 0.7), (4, 0.6) pool to 0.65; 0.7 is then reached between N 4 (0.65) and 8 (0.9): t = 0.2 → 4 · 2^0.2
    const noisy = [
      { n: 2, dice: 0.7 },
      { n: 4, dice: 0.6 },
      { n: 8, dice: 0.9 },
    ];
    expect(matchingN(noisy, 0.7)).toBeCloseTo(4 * 2 ** 0.2, 10);
  });
});

describe('bootstrapCi', () => {
  it('is degenerate for a constant statistic, deterministic for a seed, and brackets the mean', () => {
    expect(bootstrapCi(5, () => 0.7)).toEqual([0.7, 0.7]);
    const xs = Array.from({ length: 20 }, (_, i) => i / 19);
    const mean = (idx: number[]) => idx.reduce((s, i) => s + xs[i], 0) / idx.length;
    const [lo, hi] = bootstrapCi(xs.length, mean) as [number, number];
    expect(bootstrapCi(xs.length, mean)).toEqual([lo, hi]);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    // SE of the mean of a uniform grid on [0, 1] with n = 20: ≈ 0.3 / √20 = 0.068 → half-width ≈ 0.13
    expect(hi - lo).toBeGreaterThan(0.2);
    expect(hi - lo).toBeLessThan(0.33);
  });

  it('turns an undefined statistic into a null bound', () => {
    expect(bootstrapCi(4, () => null)).toEqual([null, null]);
    // undefined in every resample whose first draw is item 0 (~25%): the lower bound is null, the upper is not
    const [lo, hi] = bootstrapCi(4, (idx) => (idx[0] === 0 ? null : 1));
    expect(lo).toBeNull();
    expect(hi).toBe(1);
    expect(bootstrapCi(0, () => 1)).toEqual([null, null]);
  });
});

describe('baselines', () => {
  // One 4 × 4 slice: a 2 × 2 right kidney in the top-left corner survives 2² and back; a 1-pixel left kidney does not.
  const mask = new Uint8Array(16);
  [0, 1, 4, 5].forEach((i) => (mask[i] = 1));
  mask[15] = 2;
  const vol = { mask, width: 4, height: 4, slices: 1 };

  it('the resolution ceiling is the mask through the training size and back', () => {
    expect(ceilingDice([vol], 4)).toBe(1);
    // at 2²: nearest neighbour samples pixel (1, 1) for the top-left cell → the right kidney comes back exactly
    // (Dice 1); the bottom-right cell samples the left kidney's pixel (3, 3) and comes back as 4 pixels for 1 →
    // Dice 2·1 / (4 + 1) = 0.4; mean 0.7
    expect(ceilingDice([vol], 2)).toBeCloseTo(0.7, 12);
    const lost = new Uint8Array(16);
    lost[0] = 1; // a 1-pixel right kidney at (0, 0) is never sampled at 2² → Dice 0; no left kidney anywhere → 1
    expect(ceilingDice([{ ...vol, mask: lost }], 2)).toBe(0.5);
    expect(ceilingDice([], 2)).toBeNull();
  });

  it('the location prior predicts the most frequent TRAIN label per pixel and slice position', () => {
    expect(locationPriorDice([vol, vol], [vol], 4)).toBe(1);
    const empty = { ...vol, mask: new Uint8Array(16) };
    // two empty TRAIN masks outvote one: the prior predicts background → both kidneys missed
    expect(locationPriorDice([empty, empty, vol], [vol], 4)).toBe(0);
    expect(locationPriorDice([], [vol], 4)).toBeNull();
  });
});
