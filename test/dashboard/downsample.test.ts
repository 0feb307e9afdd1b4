/** Client-side min/max downsampling of live metric series and the per-epoch append. */
import { describe, expect, it } from 'vitest';
import { appendPoint, downsampleMinMax } from '../../client/src/lib/downsample';
import { alignSeries } from '../../client/src/charts/align';
import { applyEpoch, chartGroups, fromQuery } from '../../client/src/views/use-live-metrics';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('downsampleMinMax', () => {
  it('leaves short series alone', () => {
    expect(downsampleMinMax([1, 2, 3], [3, 2, 1], 10)).toEqual({ x: [1, 2, 3], y: [3, 2, 1] });
  });
  it('keeps at most maxPoints, the ends, and every extreme (a spike stays visible)', () => {
    const x = range(10_000);
    const y = x.map((e) => Math.exp(-e / 2000) + (e === 4321 ? 5 : 0) - (e === 7777 ? 3 : 0));
    const d = downsampleMinMax(x, y, 200);
    expect(d.x.length).toBeLessThanOrEqual(200);
    expect(d.x[0]).toBe(1);
    expect(d.x.at(-1)).toBe(10_000);
    expect(d.x).toContain(4321);
    expect(d.x).toContain(7777);
    expect(Math.max(...d.y)).toBe(Math.max(...y));
    expect(Math.min(...d.y)).toBe(Math.min(...y));
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
  });
  it('refuses nonsense', () => {
    expect(() => downsampleMinMax([1], [1], 2)).toThrow(/at least 4/);
    expect(() => downsampleMinMax([1, 2], [1], 10)).toThrow(/differ in length/);
  });
});

describe('appendPoint', () => {
  it('appends, replaces a repeated epoch, and rewinds after a resumed attempt', () => {
    let s = { x: [] as number[], y: [] as number[] };
    for (const e of [1, 2, 3]) s = appendPoint(s, e, e * 10, 100);
    expect(s).toEqual({ x: [1, 2, 3], y: [10, 20, 30] });
    s = appendPoint(s, 3, 31, 100);
    expect(s).toEqual({ x: [1, 2, 3], y: [10, 20, 31] });
    s = appendPoint(s, 2, 22, 100);
    expect(s).toEqual({ x: [1, 2], y: [10, 22] });
  });
  it('stays bounded over a long run (a 1,000-epoch run with maxPoints 100 never holds more than 200)', () => {
    let s = { x: [] as number[], y: [] as number[] };
    let most = 0;
    for (const e of range(1000)) {
      s = appendPoint(s, e, Math.sin(e), 100);
      most = Math.max(most, s.x.length);
    }
    expect(most).toBeLessThanOrEqual(200);
    expect(s.x.at(-1)).toBe(1000);
  });
});

describe('live metrics', () => {
  it('adds RunProgress values to the queried series and groups charts', () => {
    const m0 = fromQuery([{ name: 'train_loss', points: [{ epoch: 1, value: 0.9 }] }]);
    const m1 = applyEpoch(m0, 2, [
      { name: 'train_loss', value: 0.7 },
      { name: 'val_dice_left', value: 0.5 },
      { name: 'lr', value: 1e-3 },
    ]);
    expect(m1.train_loss).toEqual({ x: [1, 2], y: [0.9, 0.7] });
    expect(m1.val_dice_left).toEqual({ x: [2], y: [0.5] });
    expect(m0.val_dice_left).toBeUndefined(); // no mutation of the previous state
    const groups = chartGroups(['val_dice_right', 'lr', 'train_loss', 'val_loss', 'val_dice_left', 'grad_norm']);
    expect(groups.map((g) => [g.title, g.names])).toEqual([
      ['Losses', ['train_loss', 'val_loss']],
      ['Validation Dice', ['val_dice_left', 'val_dice_right']],
      ['Learning rate', ['lr']],
      ['grad_norm', ['grad_norm']],
    ]);
  });
  it('aligns series measured at different epochs on one x axis for uPlot', () => {
    expect(
      alignSeries([
        { name: 'a', x: [1, 2, 3], y: [1, 2, 3] },
        { name: 'b', x: [2, 4], y: [20, 40] },
      ]),
    ).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, null],
      [null, 20, null, 40],
    ]);
  });
});
