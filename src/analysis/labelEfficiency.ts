/**
 * Table 2 of the study (method.md, "Evaluation") from evaluated fine-tuning runs: mean Dice per kidney for RANDOM
 * and CLC initialisation at each (contrast, N), paired two-sided t-tests over test subjects with a Bonferroni
 * correction over every comparison of the table, and the annotation reduction per contrast.
 *
 * Seeds: a subject's Dice is first averaged over the seeds of a (contrast, N, initialisation) cell, so the t-test
 * pairs one value per subject and initialisation (the "subject-wise means over seeds").
 */
import { annotationReduction, bonferroni, mean, pairedTTest, type CurvePoint } from './stats';

export type Kidney = 'right' | 'left';
export const KIDNEYS: readonly Kidney[] = ['right', 'left'];

export interface EvaluatedRun {
  contrast: string;
  nLabeled: number;
  initialization: 'RANDOM' | 'CLC';
  seed: number;
  scores: { subjectId: string; dice: Record<Kidney, number> }[];
}

export interface Pair {
  right: number;
  left: number;
}

export interface EfficiencyRow {
  contrast: string;
  nLabeled: number;
  random: Pair | null;
  clc: Pair | null;
  /** Bonferroni-corrected two-sided p of the paired t-test, per kidney; null where the test cannot be made. */
  pValue: Pair | null;
  /** Corrected p ≤ alpha for either kidney. */
  significant: boolean;
}

export interface ContrastReduction {
  contrast: string;
  referenceN: number;
  matchingN: number | null;
  reduction: number | null;
}

/** Subject id → Dice averaged over the seeds of one cell. */
type SubjectMeans = Map<string, Pair>;

export function labelEfficiencyTable(
  runs: readonly EvaluatedRun[],
  referenceN: number,
  alpha = 0.05,
): { rows: EfficiencyRow[]; reductions: ContrastReduction[] } {
  const cells = groupCells(runs);
  const keys = [...new Set(runs.map((r) => `${r.contrast}\u0000${r.nLabeled}`))]
    .map((k) => {
      const [contrast, n] = k.split('\u0000');
      return { contrast, nLabeled: Number(n) };
    })
    .sort((a, b) => (a.contrast === b.contrast ? a.nLabeled - b.nLabeled : a.contrast < b.contrast ? -1 : 1));

  // Raw p-values of every comparison the table reports, corrected together afterwards.
  const raw: { row: number; kidney: Kidney; p: number }[] = [];
  const rows: EfficiencyRow[] = keys.map(({ contrast, nLabeled }, rowIndex) => {
    const random = cells.get(cellKey(contrast, nLabeled, 'RANDOM')) ?? null;
    const clc = cells.get(cellKey(contrast, nLabeled, 'CLC')) ?? null;
    if (random && clc) {
      const paired = [...random.keys()].filter((id) => clc.has(id)).sort();
      if (paired.length >= 2) {
        for (const kidney of KIDNEYS) {
          const { p } = pairedTTest(
            paired.map((id) => clc.get(id)![kidney]),
            paired.map((id) => random.get(id)![kidney]),
          );
          raw.push({ row: rowIndex, kidney, p });
        }
      }
    }
    return { contrast, nLabeled, random: random && meanPair(random), clc: clc && meanPair(clc), pValue: null, significant: false };
  });

  const corrected = bonferroni(raw.map((r) => r.p));
  raw.forEach(({ row, kidney }, i) => {
    const pv = (rows[row].pValue ??= { right: NaN, left: NaN });
    pv[kidney] = corrected[i];
    if (corrected[i] <= alpha) rows[row].significant = true;
  });

  const reductions = [...new Set(keys.map((k) => k.contrast))].map((contrast) => {
    const curve = (init: 'RANDOM' | 'CLC'): CurvePoint[] =>
      rows
        .filter((r) => r.contrast === contrast && (init === 'RANDOM' ? r.random : r.clc))
        .map((r) => {
          const pair = (init === 'RANDOM' ? r.random : r.clc)!;
          return { n: r.nLabeled, dice: (pair.right + pair.left) / 2 };
        });
    return { contrast, referenceN, ...annotationReduction(curve('RANDOM'), curve('CLC'), referenceN) };
  });
  return { rows, reductions };
}

function cellKey(contrast: string, n: number, init: string): string {
  return `${contrast}\u0000${n}\u0000${init}`;
}

function groupCells(runs: readonly EvaluatedRun[]): Map<string, SubjectMeans> {
  const sums = new Map<string, Map<string, { right: number; left: number; count: number }>>();
  for (const run of runs) {
    const key = cellKey(run.contrast, run.nLabeled, run.initialization);
    const cell = sums.get(key) ?? new Map();
    sums.set(key, cell);
    for (const s of run.scores) {
      const acc = cell.get(s.subjectId) ?? { right: 0, left: 0, count: 0 };
      acc.right += s.dice.right;
      acc.left += s.dice.left;
      acc.count += 1;
      cell.set(s.subjectId, acc);
    }
  }
  const out = new Map<string, SubjectMeans>();
  for (const [key, cell] of sums) {
    const means: SubjectMeans = new Map();
    for (const [id, acc] of cell) means.set(id, { right: acc.right / acc.count, left: acc.left / acc.count });
    if (means.size) out.set(key, means);
  }
  return out;
}

function meanPair(cell: SubjectMeans): Pair {
  const values = [...cell.values()];
  return { right: mean(values.map((v) => v.right)), left: mean(values.map((v) => v.left)) };
}
