import { describe, expect, it } from 'vitest';
import { blandAltman, bonferroni, pairedTTest } from '../../src/analysis/stats';

describe('pairedTTest', () => {
  // Student's sleep data (Cushny & Peebles 1905; R's `sleep` data set). R 4.x:
  //   t.test(extra ~ group, data = sleep, paired = TRUE)  →  t = -4.0621, df = 9, p-value = 0.002833
  const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it('matches R on the sleep data', () => {
    const r = pairedTTest(drug1, drug2);
    expect(r.t).toBeCloseTo(-4.0621, 4);
    expect(r.df).toBe(9);
    expect(r.p).toBeCloseTo(0.002833, 6);
  });

  it('is symmetric in the sign of t and keeps p', () => {
    const r = pairedTTest(drug2, drug1);
    expect(r.t).toBeCloseTo(4.0621, 4);
    expect(r.p).toBeCloseTo(0.002833, 6);
  });

  it('worked by hand: d = (1, 2, 3) gives t = 2/(1/√3) = 3.4641, df = 2, p = 0.0742', () => {
    // sd(d) = 1, so t = 2√3; the two-sided p for t(2) = 2√3 is 1 − 2√3/√(2 + 12) = 1 − 0.92582 = 0.07418
    // (closed form of the t(2) cdf: F(t) = 1/2 + t / (2√(2 + t²))).
    const r = pairedTTest([2, 4, 6], [1, 2, 3]);
    expect(r.t).toBeCloseTo(2 * Math.sqrt(3), 10);
    expect(r.p).toBeCloseTo(1 - (2 * Math.sqrt(3)) / Math.sqrt(14), 8);
  });

  it('handles identical differences and rejects bad samples', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toEqual({ t: 0, df: 2, p: 1 });
    expect(pairedTTest([2, 3, 4], [1, 2, 3]).p).toBe(0);
    expect(() => pairedTTest([1], [2])).toThrow(/at least 2/);
    expect(() => pairedTTest([1, 2], [2])).toThrow(/length/);
    expect(() => pairedTTest([1, NaN], [2, 3])).toThrow(/finite/);
  });
});

describe('bonferroni', () => {
  it('multiplies by the number of comparisons and caps at 1', () => {
    expect(bonferroni([0.01, 0.02, 0.5])).toEqual([0.03, 0.06, 1]);
    expect(bonferroni([])).toEqual([]);
    expect(() => bonferroni([1.5])).toThrow(/out of/);
  });
});

describe('blandAltman', () => {
  it('worked by hand', () => {
    // d = pred − truth = (2, 4, 6, 8): bias 5, sample sd √(20/3) = 2.5820, limits 5 ∓ 1.96·2.5820 = (−0.0607, 10.0607)
    const r = blandAltman([102, 104, 106, 108], [100, 100, 100, 100]);
    expect(r.bias).toBe(5);
    expect(r.lower).toBeCloseTo(-0.0607, 4);
    expect(r.upper).toBeCloseTo(10.0607, 4);
  });
  it('rejects mismatched samples', () => {
    expect(() => blandAltman([1, 2], [1])).toThrow(/length/);
  });
});
