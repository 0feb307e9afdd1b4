import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/ml/random';
import { spreadSubset, trainingBatches } from '../../src/runners/jobs/dataset';

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

describe('trainingBatches (steps, not passes)', () => {
  it('uncapped: one shuffled pass, the last batch shorter', () => {
    const batches = [...trainingBatches([1, 2, 3, 4, 5], 2, createRng(1), 0)];
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('capped: exactly the cap of full batches, cycling reshuffled passes, so a small N trains as many steps', () => {
    const items = [1, 2, 3, 4, 5];
    const batches = [...trainingBatches(items, 4, createRng(2), 5)];
    expect(batches).toHaveLength(5);
    expect(batches.every((b) => b.length === 4)).toBe(true);
    // 20 draws = 4 whole passes: every item exactly 4 times
    const counts = new Map<number, number>();
    for (const v of batches.flat()) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.values()]).toEqual([4, 4, 4, 4, 4]);
    expect([...trainingBatches([], 4, createRng(2), 5)]).toEqual([]);
  });
});
