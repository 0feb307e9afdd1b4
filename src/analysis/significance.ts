/**
 * The ∗ of Table 2 (method.md, "Evaluation"): a kidney's cell is starred on the better initialisation when the
 * Bonferroni-corrected paired t-test of RANDOM vs CLC has p ≤ 0.05. Without per-kidney p-values the row's
 * `significant` flag decides. Shared by the dashboard and the CLI report; no imports, so the browser bundle can take it.
 */
export const SIGNIFICANCE = 0.05;
export const STAR = '∗';

export type Kidney = 'right' | 'left';

export interface Pair {
  right: number;
  left: number;
}

/** A kidney's 95% CI of the mean Dice: [lo, hi]. */
export interface PairCi {
  right: number[];
  left: number[];
}

/** A row of Table 2 as the labelEfficiency query answers it (the CI and counts are absent in older answers). */
export interface Table2Row {
  contrast: string;
  nLabeled: number;
  random: Pair | null;
  clc: Pair | null;
  pValue: Pair | null;
  significant: boolean;
  ci95?: { random: PairCi | null; clc: PairCi | null };
  trainingSize?: { random: Pair | null; clc: Pair | null };
  seeds?: { random: number; clc: number };
  subjects?: { random: number; clc: number };
}

/** The baselines of one contrast as the labelEfficiency query answers them (src/analysis/baselines.ts). */
export interface ContrastBaselines {
  contrast: string;
  trainingSize: number | null;
  ceilingDice: number | null;
  locationPriorDice: number | null;
  riSeedSd: number | null;
}

/** "[lo, hi]" of a cell's 95% CI to `digits` decimals, or '' without one. */
export function ciText(row: Table2Row, init: 'random' | 'clc', kidney: Kidney, digits = 3): string {
  const ci = row.ci95?.[init]?.[kidney];
  return ci && ci.length === 2 ? `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]` : '';
}

/** Which initialisation gets the ∗ for a kidney, if any. */
export function starredSide(row: Table2Row, kidney: Kidney): 'random' | 'clc' | null {
  const p = row.pValue?.[kidney];
  const significant = p === null || p === undefined ? row.significant : p <= SIGNIFICANCE;
  if (!significant || !row.random || !row.clc) return null;
  return row.clc[kidney] >= row.random[kidney] ? 'clc' : 'random';
}
