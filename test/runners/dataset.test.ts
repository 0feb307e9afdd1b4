import { describe, expect, it } from 'vitest';
import { spreadSubset } from '../../src/runners/jobs/dataset';

describe('spreadSubset (fixed validation subset)', () => {
  it('keeps everything when the cap is 0 or not reached', () => {
    const xs = [1, 2, 3];
    expect(spreadSubset(xs, 0)).toBe(xs);
    expect(spreadSubset(xs, 5)).toBe(xs);
  });

  it('takes every k-th sample so each part of the list keeps its share, the same every call', () => {
    const xs = Array.from({ length: 10 }, (_, i) => i);
    expect(spreadSubset(xs, 4)).toEqual([0, 2, 5, 7]);
    expect(spreadSubset(xs, 4)).toEqual(spreadSubset(xs, 4));
    const many = Array.from({ length: 600 }, (_, i) => i);
    const subset = spreadSubset(many, 64);
    expect(subset).toHaveLength(64);
    expect(new Set(subset).size).toBe(64);
    expect(subset[63]).toBe(590); // floor(63 · 600 / 64)
  });
});
