/**
 * Statistics a lucky N cannot fool (issue 13), beside the paper's paired t-test:
 * - `bootstrapCi`: a 95% percentile bootstrap CI (Efron & Tibshirani 1993, ch. 13) of any statistic of the TEST
 *   subjects, resampling subjects with replacement; seeded, so a report is reproducible.
 * - `isotonic`: the pool-adjacent-violators fit (Barlow et al. 1972) of a non-decreasing curve, weighted.
 * - `matchingN`: where a non-decreasing Dice-vs-N curve first reaches a target, interpolated linearly in log N
 *   between evaluated N (learning curves are roughly linear in log N).
 * Pure functions over numbers.
 */
import { createRng } from '../ml/random';

export const BOOTSTRAP_RESAMPLES = 2000;
export const BOOTSTRAP_SEED = 20240613;

/**
 * Percentile CI of `statistic` over `resamples` bootstrap resamples of `count` items (indices drawn with
 * replacement). Resamples where the statistic is null (undefined there) count as −∞, so a bound that falls on them
 * is null: "not reached" stays visible instead of being dropped.
 */
export function bootstrapCi(
  count: number,
  statistic: (indices: number[]) => number | null,
  options: { resamples?: number; seed?: number; level?: number } = {},
): [number | null, number | null] {
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  if (count < 1) return [null, null];
  const rng = createRng(options.seed ?? BOOTSTRAP_SEED);
  const values: number[] = [];
  const indices = new Array<number>(count);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < count; i++) indices[i] = Math.floor(rng() * count);
    values.push(statistic(indices) ?? -Infinity);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) => {
    const v = values[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))];
    return Number.isFinite(v) ? v : null;
  };
  const tail = (1 - level) / 2;
  return [q(tail), q(1 - tail)];
}

/** Weighted least-squares non-decreasing fit of `y` (in the given order) by pool-adjacent-violators. */
export function isotonic(y: readonly number[], w: readonly number[] = y.map(() => 1)): number[] {
  const blocks: { sum: number; weight: number; size: number }[] = [];
  y.forEach((v, i) => {
    blocks.push({ sum: v * w[i], weight: w[i], size: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.sum / a.weight <= b.sum / b.weight) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, weight: a.weight + b.weight, size: a.size + b.size });
    }
  });
  return blocks.flatMap((b) => Array<number>(b.size).fill(b.sum / b.weight));
}

export interface CurvePointN {
  n: number;
  dice: number;
}

/** The isotonic curve's value at `n`, interpolated in log N between evaluated N; null outside their range. */
export function curveAt(points: readonly CurvePointN[], n: number): number | null {
  const fit = fitted(points);
  for (let i = 0; i < fit.length; i++) {
    if (fit[i].n === n) return fit[i].dice;
    if (i > 0 && fit[i - 1].n < n && n < fit[i].n) {
      const t = (Math.log(n) - Math.log(fit[i - 1].n)) / (Math.log(fit[i].n) - Math.log(fit[i - 1].n));
      return fit[i - 1].dice + t * (fit[i].dice - fit[i - 1].dice);
    }
  }
  return null;
}

/**
 * The smallest N at which the isotonic fit of `points` reaches `target`, interpolated in log N; the smallest
 * evaluated N when the curve is already there (a reduction read there is a lower bound); null when never reached.
 */
export function matchingN(points: readonly CurvePointN[], target: number): number | null {
  const fit = fitted(points);
  for (let i = 0; i < fit.length; i++) {
    if (fit[i].dice < target) continue;
    if (i === 0) return fit[0].n;
    const a = fit[i - 1];
    const b = fit[i];
    const t = (target - a.dice) / (b.dice - a.dice);
    return Math.exp(Math.log(a.n) + t * (Math.log(b.n) - Math.log(a.n)));
  }
  return null;
}

function fitted(points: readonly CurvePointN[]): CurvePointN[] {
  const sorted = [...points].sort((a, b) => a.n - b.n);
  const fit = isotonic(sorted.map((p) => p.dice));
  return sorted.map((p, i) => ({ n: p.n, dice: fit[i] }));
}
