/**
 * Table 2 of the study (method.md, "Evaluation") from evaluated fine-tuning runs: mean Dice per kidney for RANDOM
 * and CLC initialisation at each (contrast, N), paired two-sided t-tests over test subjects with a Bonferroni
 * correction over every comparison of the table, and per contrast the annotation reduction and RI's seed spread.
 *
 * Seeds: a subject's Dice is first averaged over the seeds of a (contrast, N, initialisation) cell, so the t-test
 * pairs one value per subject and initialisation (the "subject-wise means over seeds"), and the bootstrap
 * resamples subjects, not runs (./bootstrap.ts; the cells: ./cells.ts).
 *
 * The annotation reduction and its refusal rule: ./annotation-reduction.ts.
 */
import { annotationReduction, type ContrastReduction } from './annotation-reduction';
import { bootstrapCi } from './bootstrap';
import { cellKey, groupCells, KIDNEYS, type EvaluatedRun, type Kidney, type Pair, type SubjectMeans } from './cells';
import { bonferroni, mean, pairedTTest } from './stats';

export { KIDNEYS, type ContrastReduction, type EvaluatedRun, type Kidney, type Pair };

/** A kidney's 95% bootstrap CI of the mean Dice: [lo, hi]. */
export interface PairCi {
  right: [number, number];
  left: [number, number];
}

export interface ByInit<T> {
  random: T;
  clc: T;
}

export interface EfficiencyRow {
  contrast: string;
  nLabeled: number;
  random: Pair | null;
  clc: Pair | null;
  /** 95% bootstrap CI over TEST subjects (seeds averaged within a subject), per initialisation; null where no cell. */
  ci95: ByInit<PairCi | null>;
  /** The same means at the training resolution (subjects with it recorded); null where no run recorded it. */
  trainingSize: ByInit<Pair | null>;
  /** Distinct seeds and TEST subjects behind each mean. */
  seeds: ByInit<number>;
  subjects: ByInit<number>;
  /** Bonferroni-corrected two-sided p of the paired t-test, per kidney; null where the test cannot be made. */
  pValue: Pair | null;
  /** Corrected p ≤ alpha for either kidney. */
  significant: boolean;
}

export interface ContrastSpread {
  contrast: string;
  /**
   * RI's seed-to-seed SD: per N, the sample SD over seeds of a run's mean test Dice (both kidneys), pooled over the
   * N with ≥ 2 seeds as √(mean variance); null with fewer than two seeds everywhere.
   */
  riSeedSd: number | null;
}

export function labelEfficiencyTable(
  runs: readonly EvaluatedRun[],
  referenceN: number,
  alpha = 0.05,
): { rows: EfficiencyRow[]; reductions: ContrastReduction[]; spreads: ContrastSpread[] } {
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
    const randomCell = cells.get(cellKey(contrast, nLabeled, 'RANDOM')) ?? null;
    const clcCell = cells.get(cellKey(contrast, nLabeled, 'CLC')) ?? null;
    const random = randomCell?.means ?? null;
    const clc = clcCell?.means ?? null;
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
    return {
      contrast,
      nLabeled,
      random: random && meanPair(random),
      clc: clc && meanPair(clc),
      ci95: { random: random && pairCi(random), clc: clc && pairCi(clc) },
      trainingSize: {
        random: randomCell?.trainingSize.size ? meanPair(randomCell.trainingSize) : null,
        clc: clcCell?.trainingSize.size ? meanPair(clcCell.trainingSize) : null,
      },
      seeds: { random: randomCell?.seeds ?? 0, clc: clcCell?.seeds ?? 0 },
      subjects: { random: random?.size ?? 0, clc: clc?.size ?? 0 },
      pValue: null,
      significant: false,
    };
  });

  const corrected = bonferroni(raw.map((r) => r.p));
  raw.forEach(({ row, kidney }, i) => {
    const pv = (rows[row].pValue ??= { right: NaN, left: NaN });
    pv[kidney] = corrected[i];
    if (corrected[i] <= alpha) rows[row].significant = true;
  });

  const contrasts = [...new Set(keys.map((k) => k.contrast))];
  const reductions = contrasts.map((contrast) =>
    annotationReduction(
      contrast,
      keys.filter((k) => k.contrast === contrast).map((k) => k.nLabeled),
      cells,
      referenceN,
    ),
  );
  const spreads = contrasts.map((contrast) => ({ contrast, riSeedSd: riSeedSd(runs.filter((r) => r.contrast === contrast && r.initialization === 'RANDOM')) }));
  return { rows, reductions, spreads };
}

function riSeedSd(runs: readonly EvaluatedRun[]): number | null {
  const byN = new Map<number, number[]>();
  for (const r of runs) {
    if (!r.scores.length) continue;
    const m = mean(r.scores.map((s) => (s.dice.right + s.dice.left) / 2));
    byN.get(r.nLabeled)?.push(m) ?? byN.set(r.nLabeled, [m]);
  }
  const variances = [...byN.values()]
    .filter((v) => v.length >= 2)
    .map((v) => {
      const m = mean(v);
      return v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
    });
  return variances.length ? Math.sqrt(mean(variances)) : null;
}

function pairCi(cell: SubjectMeans): PairCi {
  const values = [...cell.values()];
  const ci = (kidney: Kidney) => bootstrapCi(values.length, (idx) => mean(idx.map((i) => values[i][kidney]))) as [number, number];
  return { right: ci('right'), left: ci('left') };
}

function meanPair(cell: SubjectMeans): Pair {
  const values = [...cell.values()];
  return { right: mean(values.map((v) => v.right)), left: mean(values.map((v) => v.left)) };
}
