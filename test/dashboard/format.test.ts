/** Table 2 cells (∗ where significant), grouping, and the number/time formats the dashboard shows. */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { elapsed, fmt, fmtDuration, fmtP, fmtPercent, groupByContrast, STAR, table2Cells, type Table2Row } from '../../client/src/lib/format';
import { Table2 } from '../../client/src/components/table2';
import { niceTicks, spreadLabels } from '../../client/src/charts/ticks';

const row = (over: Partial<Table2Row> = {}): Table2Row => ({
  contrast: 'DIXON',
  nLabeled: 8,
  random: { right: 0.812, left: 0.79 },
  clc: { right: 0.9014, left: 0.801 },
  pValue: { right: 0.003, left: 0.4 },
  significant: true,
  ...over,
});

describe('table2Cells', () => {
  it('marks the better initialisation of a kidney whose corrected p ≤ 0.05, and only that one', () => {
    const c = table2Cells(row());
    expect(c).toEqual({
      randomRight: '0.812',
      randomLeft: '0.790',
      clcRight: `0.901${STAR}`,
      clcLeft: '0.801',
      pRight: '0.003',
      pLeft: '0.400',
      ci: { randomRight: '', randomLeft: '', clcRight: '', clcLeft: '' },
    });
    // with a bootstrap CI the cell carries [lo, hi]
    const withCi = table2Cells(row({ ci95: { random: null, clc: { right: [0.871, 0.93], left: [0.77, 0.83] } } }));
    expect(withCi.ci).toEqual({ randomRight: '', randomLeft: '', clcRight: '[0.87, 0.93]', clcLeft: '[0.77, 0.83]' });
  });
  it('puts ∗ on RANDOM when RANDOM is the significantly better one', () => {
    const c = table2Cells(row({ random: { right: 0.95, left: 0.9 }, pValue: { right: 0.01, left: 0.05 } }));
    expect(c.randomRight).toBe(`0.950${STAR}`);
    expect(c.randomLeft).toBe(`0.900${STAR}`); // p = 0.05 counts (p ≤ 0.05)
    expect(c.clcRight).not.toContain(STAR);
  });
  it('falls back to the row flag without per-kidney p-values and shows dashes for missing sides', () => {
    expect(table2Cells(row({ pValue: null, significant: true })).clcLeft).toBe(`0.801${STAR}`);
    expect(table2Cells(row({ pValue: null, significant: false })).clcLeft).toBe('0.801');
    const missing = table2Cells(row({ clc: null, pValue: null }));
    expect(missing).toMatchObject({ clcRight: '—', clcLeft: '—', randomRight: '0.812', pRight: '—' });
  });
  it('renders Table 2 grouped by contrast with N ascending and the ∗ in the cell', () => {
    const html = renderToStaticMarkup(
      createElement(Table2, {
        rows: [row({ nLabeled: 20 }), row({ contrast: 'T1_MAP', nLabeled: 1, pValue: { right: 0.5, left: 0.5 } }), row({ nLabeled: 2 })],
      }),
    );
    expect(html.indexOf('>2<')).toBeLessThan(html.indexOf('>20<'));
    expect(html).toContain('T1 MAP');
    expect(html.match(new RegExp(STAR, 'g'))!.length).toBe(2 + 1); // two DIXON rows + the caption's explanation
  });
});

describe('SVG axis ticks', () => {
  it('are round numbers with the decimals their step needs, and labels keep a gap', () => {
    expect(niceTicks(-83, 912, 5)).toEqual({ ticks: [0, 200, 400, 600, 800], decimals: 0 });
    expect(niceTicks(92.1, 92.9, 4)).toEqual({ ticks: [92.2, 92.4, 92.6, 92.8].map((v) => expect.closeTo(v, 9)), decimals: 1 });
    expect(spreadLabels([100, 95, 200], 12)).toEqual([107, 95, 200]);
  });
});

describe('formats', () => {
  it('numbers, p-values, percentages', () => {
    expect(fmt(0.91234)).toBe('0.912');
    expect(fmt(null)).toBe('—');
    expect(fmt(Number.NaN)).toBe('—');
    expect(fmtP(0.0001)).toBe('<0.001');
    expect(fmtPercent(0.6)).toBe('60%');
  });
  it('durations and elapsed times', () => {
    expect(fmtDuration(4_400)).toBe('4.4 s');
    expect(fmtDuration(250)).toBe('0.3 s');
    expect(fmtDuration(42_000)).toBe('42 s');
    expect(fmtDuration(125_000)).toBe('2 min 5 s');
    expect(fmtDuration(3_600_000 + 60_000 * 7)).toBe('1 h 7 min');
    expect(fmtDuration(null)).toBe('—');
    expect(elapsed('2026-01-01T00:00:00Z', '2026-01-01T00:00:30Z')).toBe(30_000);
    expect(elapsed('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T00:01:00Z'))).toBe(60_000);
    expect(elapsed(null, null)).toBeNull();
  });
  it('groups rows by contrast in first-seen order', () => {
    const g = groupByContrast([row({ contrast: 'BOLD', nLabeled: 4 }), row({ nLabeled: 2 }), row({ contrast: 'BOLD', nLabeled: 1 })]);
    expect(g.map(([c, rs]) => [c, rs.map((r) => r.nLabeled)])).toEqual([
      ['BOLD', [1, 4]],
      ['DIXON', [2]],
    ]);
  });
});
