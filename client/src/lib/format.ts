// Number and time formatting shared by the views, and the Table 2 cell rules (∗ where significant).

import { ciText, STAR, starredSide, type Table2Row } from '../../../src/analysis/significance';

export const DASH = '—';

export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : v.toFixed(digits);
}

export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return DASH;
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

export function fmtPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : `${Math.round(v * 100)}%`;
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  // local time, unambiguous in any locale: 2026-11-25 19:25:46
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Between two ISO times, or from start until now while running. */
export function elapsed(start: string | null | undefined, end: string | null | undefined, now = Date.now()): number | null {
  if (!start) return null;
  const a = new Date(start).getTime();
  const b = end ? new Date(end).getTime() : now;
  return Number.isFinite(a) && Number.isFinite(b) ? b - a : null;
}

export { SIGNIFICANCE, STAR, type Pair, type Table2Row } from '../../../src/analysis/significance';
export interface Table2Cells {
  randomRight: string;
  randomLeft: string;
  clcRight: string;
  clcLeft: string;
  pRight: string;
  pLeft: string;
  /** 95% bootstrap CIs, "[lo, hi]" ('' without). */
  ci: { randomRight: string; randomLeft: string; clcRight: string; clcLeft: string };
}

/**
 * Table 2 cells: mean Dice to 3 decimals, with ∗ after the better of RANDOM/CLC for a kidney whose corrected
 * p ≤ 0.05 (method.md). Without per-kidney p-values the row's `significant` flag marks both kidneys.
 */
export function table2Cells(row: Table2Row): Table2Cells {
  const star = (kidney: 'right' | 'left') => starredSide(row, kidney);
  const cell = (init: 'random' | 'clc', kidney: 'right' | 'left') => {
    const v = row[init]?.[kidney];
    return fmt(v) + (v !== undefined && star(kidney) === init ? STAR : '');
  };
  return {
    randomRight: cell('random', 'right'),
    randomLeft: cell('random', 'left'),
    clcRight: cell('clc', 'right'),
    clcLeft: cell('clc', 'left'),
    pRight: fmtP(row.pValue?.right),
    pLeft: fmtP(row.pValue?.left),
    ci: {
      randomRight: ciText(row, 'random', 'right', 2),
      randomLeft: ciText(row, 'random', 'left', 2),
      clcRight: ciText(row, 'clc', 'right', 2),
      clcLeft: ciText(row, 'clc', 'left', 2),
    },
  };
}

/** Groups rows by contrast (in first-seen order) with N ascending inside each group. */
export function groupByContrast<T extends { contrast: string; nLabeled: number }>(rows: T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(r.contrast, [...(groups.get(r.contrast) ?? []), r]);
  return [...groups].map(([c, rs]) => [c, [...rs].sort((a, b) => a.nLabeled - b.nLabeled)]);
}

export const label = (enumValue: string) => enumValue.replace(/_/g, ' ');
