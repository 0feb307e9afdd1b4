/**
 * The statistics of the study (method.md, "Evaluation"): paired t-tests between RANDOM and CLC initialisation,
 * Bonferroni correction and Bland–Altman agreement of kidney volumes (the annotation reduction is in ./label-efficiency.ts,
 * on isotonic curves from ./bootstrap.ts).
 * Pure functions over numbers; the Student t distribution comes from jStat, not a hand-rolled special function.
 */
import { jStat } from 'jstat';

export interface TTestResult {
  /** t statistic of the mean paired difference a − b. */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Paired two-sided Student t-test of a against b (same subjects, same order).
 *   d_i = a_i − b_i,  t = mean(d) / (sd(d) / √n),  df = n − 1,  p = 2·(1 − F_t(|t|; df))
 * with sd the sample standard deviation (n − 1 denominator). When every difference is identical the test is
 * degenerate: t = 0, p = 1 if that difference is 0, else t = ±∞, p = 0.
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): TTestResult {
  if (a.length !== b.length) throw new RangeError(`pairedTTest: samples differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n < 2) throw new RangeError(`pairedTTest: needs at least 2 pairs, got ${n}`);
  const d = a.map((x, i) => x - b[i]);
  assertFinite(d, 'pairedTTest');
  const m = mean(d);
  const sd = sampleSd(d, m);
  const df = n - 1;
  if (sd === 0) return m === 0 ? { t: 0, df, p: 1 } : { t: m > 0 ? Infinity : -Infinity, df, p: 0 };
  const t = m / (sd / Math.sqrt(n));
  const p = Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), df)));
  return { t, df, p };
}

/** Bonferroni correction over m comparisons reported together: p'_i = min(1, m · p_i). */
export function bonferroni(pValues: readonly number[]): number[] {
  const m = pValues.length;
  return pValues.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bonferroni: p-value out of [0, 1]: ${p}`);
    return Math.min(1, p * m);
  });
}

export interface BlandAltmanResult {
  /** Mean difference pred − truth. */
  bias: number;
  /** Limits of agreement: bias ∓ 1.96 · sd of the differences (sample sd). */
  lower: number;
  upper: number;
}

/**
 * Bland–Altman agreement (Bland & Altman, Lancet 1986) of predicted against manual measurements:
 *   d_i = pred_i − truth_i, bias = mean(d), limits = bias ± 1.96 · sd(d).
 */
export function blandAltman(pred: readonly number[], truth: readonly number[]): BlandAltmanResult {
  if (pred.length !== truth.length) {
    throw new RangeError(`blandAltman: samples differ in length (${pred.length} vs ${truth.length})`);
  }
  if (pred.length < 2) throw new RangeError(`blandAltman: needs at least 2 pairs, got ${pred.length}`);
  const d = pred.map((x, i) => x - truth[i]);
  assertFinite(d, 'blandAltman');
  const bias = mean(d);
  const sd = sampleSd(d, bias);
  return { bias, lower: bias - 1.96 * sd, upper: bias + 1.96 * sd };
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sampleSd(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

function assertFinite(xs: readonly number[], fn: string): void {
  if (xs.some((x) => !Number.isFinite(x))) throw new RangeError(`${fn}: samples must be finite numbers`);
}
