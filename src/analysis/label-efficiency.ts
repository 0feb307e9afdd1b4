/**
 * Table 2 of the study (method.md, "Evaluation") from evaluated fine-tuning runs: mean Dice per kidney for RANDOM
 * and CLC initialisation at each (contrast, N), paired two-sided t-tests over test subjects with a Bonferroni
 * correction over every comparison of the table, and per contrast the annotation reduction and RI's seed spread.
 *
 * Seeds: a subject's Dice is first averaged over the seeds of a (contrast, N, initialisation) cell, so the t-test
 * pairs one value per subject and initialisation (the "subject-wise means over seeds"), and the bootstrap
 * resamples subjects, not runs (./bootstrap.ts).
 *
 * Annotation reduction (issue 13, replacing "the first N at which CLC ≥ RI(N_ref)", which one lucky N could fool):
 * both curves (mean Dice of the two kidneys vs N) are fitted non-decreasing (isotonic); the target is RI's fitted
 * Dice at the reference N; N_CLC is where CLC's fitted curve reaches it, interpolated in log N; reduction =
 * 1 − N_CLC / N_ref. Its 95% CI resamples the contrast's TEST subjects (one draw for every cell, as the subjects are
 * paired across cells) and recomputes everything; a resample where CLC never reaches the target counts as −∞, so the
 * lower bound is null when that happens in more than 2.5% of resamples.
 *
 * A reduction needs a reference curve that rises: if RANDOM's Dice at N_ref (or the largest evaluated N below it) is
 * not above its Dice at the smallest N beyond the 95% bootstrap CI of that rise, the labels did not limit RANDOM, and
 * any CLC curve would "reach" the target early (the 2026-12-03 study printed an 82% reduction off such a flat curve).
 * Then `reduction` and its CI are null and `refusal` says why; `matchingN` is still given, for inspection.
 */
import { bootstrapCi, curveAt, matchingN, type CurvePointN } from './bootstrap';
import { bonferroni, mean, pairedTTest } from './stats';

export type Kidney = 'right' | 'left';
export const KIDNEYS: readonly Kidney[] = ['right', 'left'];

export interface EvaluatedRun {
  contrast: string;
  nLabeled: number;
  initialization: 'RANDOM' | 'CLC';
  seed: number;
  /** Per TEST subject: Dice at the series' own resolution, and (when recorded) at the training resolution. */
  scores: { subjectId: string; dice: Record<Kidney, number>; trainingSizeDice?: Record<Kidney, number> | null }[];
}

export interface Pair {
  right: number;
  left: number;
}

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

export interface ContrastReduction {
  contrast: string;
  referenceN: number;
  /** RI's isotonic Dice at the reference N (null when N_ref is outside RI's evaluated range). */
  referenceDice: number | null;
  /** Where CLC's isotonic curve reaches it, interpolated in log N (null: not reached). */
  matchingN: number | null;
  reduction: number | null;
  ci95: [number | null, number | null];
  /** RANDOM's rise in mean Dice from its smallest N to N_ref (or the largest evaluated N below it), with its 95% CI. */
  riRise: number | null;
  riRiseCi95: [number | null, number | null];
  /** Why no reduction is given although it could be computed (RANDOM's curve does not rise beyond its CI); else null. */
  refusal: string | null;
}

export interface ContrastSpread {
  contrast: string;
  /**
   * RI's seed-to-seed SD: per N, the sample SD over seeds of a run's mean test Dice (both kidneys), pooled over the
   * N with ≥ 2 seeds as √(mean variance); null with fewer than two seeds everywhere.
   */
  riSeedSd: number | null;
}

/** Subject id → Dice averaged over the seeds of one cell. */
type SubjectMeans = Map<string, Pair>;
interface Cell {
  means: SubjectMeans;
  /** Seed-averaged Dice at the training resolution, for the subjects that have it. */
  trainingSize: SubjectMeans;
  seeds: number;
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
    reductionOf(
      contrast,
      keys.filter((k) => k.contrast === contrast).map((k) => k.nLabeled),
      cells,
      referenceN,
    ),
  );
  const spreads = contrasts.map((contrast) => ({ contrast, riSeedSd: riSeedSd(runs.filter((r) => r.contrast === contrast && r.initialization === 'RANDOM')) }));
  return { rows, reductions, spreads };
}

/** Mean over the given subjects (present in the cell) of the two kidneys' mean Dice; null when none is present. */
function cellMean(cell: SubjectMeans, ids: readonly string[]): number | null {
  let sum = 0;
  let n = 0;
  for (const id of ids) {
    const v = cell.get(id);
    if (!v) continue;
    sum += (v.right + v.left) / 2;
    n++;
  }
  return n ? sum / n : null;
}

function reductionOf(contrast: string, ns: number[], cells: Map<string, Cell>, referenceN: number): ContrastReduction {
  const curves = (ids: readonly string[]) => {
    const curve = (init: 'RANDOM' | 'CLC'): CurvePointN[] =>
      ns.flatMap((n) => {
        const cell = cells.get(cellKey(contrast, n, init));
        const dice = cell ? cellMean(cell.means, ids) : null;
        return dice === null ? [] : [{ n, dice }];
      });
    return { random: curve('RANDOM'), clc: curve('CLC') };
  };
  const estimate = (ids: readonly string[]) => {
    const { random, clc } = curves(ids);
    const referenceDice = curveAt(random, referenceN);
    const matched = referenceDice === null ? null : matchingN(clc, referenceDice);
    return { referenceDice, matchingN: matched, reduction: matched === null ? null : 1 - matched / referenceN };
  };
  const subjectIds = [
    ...new Set(ns.flatMap((n) => ['RANDOM', 'CLC'].flatMap((init) => [...(cells.get(cellKey(contrast, n, init))?.means.keys() ?? [])]))),
  ].sort();
  const point = estimate(subjectIds);
  const rise = referenceRise(contrast, ns, cells, referenceN, subjectIds);
  if (rise && point.reduction !== null && !(rise.ci95[0] !== null && rise.ci95[0] > 0)) {
    const f = (v: number | null) => (v === null ? '−∞' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);
    const refusal =
      `RANDOM's Dice does not rise from N = ${rise.from} to N = ${rise.to} beyond its 95% CI (${f(rise.value)} [${f(rise.ci95[0])}, ${f(rise.ci95[1])}]): ` +
      'the labels did not limit RANDOM, so no reduction can be read off its curve';
    return { contrast, referenceN, ...point, reduction: null, ci95: [null, null], riRise: rise.value, riRiseCi95: rise.ci95, refusal };
  }
  const ci95 =
    point.referenceDice === null ? ([null, null] as [null, null]) : bootstrapCi(subjectIds.length, (idx) => estimate(idx.map((i) => subjectIds[i])).reduction);
  return { contrast, referenceN, ...point, ci95, riRise: rise?.value ?? null, riRiseCi95: rise?.ci95 ?? [null, null], refusal: null };
}

/**
 * RANDOM's mean Dice at the largest evaluated N ≤ N_ref minus at its smallest N, over the subjects of both cells,
 * with a 95% bootstrap CI (subjects resampled, as for the reduction); null with fewer than two such N.
 */
function referenceRise(
  contrast: string,
  ns: number[],
  cells: Map<string, Cell>,
  referenceN: number,
  subjectIds: string[],
): { from: number; to: number; value: number; ci95: [number | null, number | null] } | null {
  const evaluated = ns.filter((n) => cells.has(cellKey(contrast, n, 'RANDOM'))).sort((a, b) => a - b);
  const to = [...evaluated].reverse().find((n) => n <= referenceN);
  const from = evaluated[0];
  if (to === undefined || from === undefined || to === from) return null;
  const low = cells.get(cellKey(contrast, from, 'RANDOM'))!.means;
  const high = cells.get(cellKey(contrast, to, 'RANDOM'))!.means;
  const ids = subjectIds.filter((id) => low.has(id) && high.has(id));
  if (ids.length < 2) return null;
  const riseOf = (chosen: readonly string[]) => cellMean(high, chosen)! - cellMean(low, chosen)!;
  return { from, to, value: riseOf(ids), ci95: bootstrapCi(ids.length, (idx) => riseOf(idx.map((i) => ids[i]))) };
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

function cellKey(contrast: string, n: number, init: string): string {
  return `${contrast}\u0000${n}\u0000${init}`;
}

function groupCells(runs: readonly EvaluatedRun[]): Map<string, Cell> {
  const sums = new Map<string, Map<string, { right: number; left: number; count: number }>>();
  const atSize = new Map<string, Map<string, { right: number; left: number; count: number }>>();
  const seeds = new Map<string, Set<number>>();
  for (const run of runs) {
    const key = cellKey(run.contrast, run.nLabeled, run.initialization);
    const cell = sums.get(key) ?? new Map();
    sums.set(key, cell);
    if (run.scores.length) seeds.get(key)?.add(run.seed) ?? seeds.set(key, new Set([run.seed]));
    const sized = atSize.get(key) ?? new Map();
    atSize.set(key, sized);
    for (const s of run.scores) {
      accumulate(cell, s.subjectId, s.dice);
      if (s.trainingSizeDice) accumulate(sized, s.subjectId, s.trainingSizeDice);
    }
  }
  const out = new Map<string, Cell>();
  for (const [key, cell] of sums) {
    const means = averages(cell);
    if (means.size) out.set(key, { means, trainingSize: averages(atSize.get(key)!), seeds: seeds.get(key)?.size ?? 0 });
  }
  return out;
}

type Sums = Map<string, { right: number; left: number; count: number }>;

function accumulate(cell: Sums, subjectId: string, dice: Pair): void {
  const acc = cell.get(subjectId) ?? { right: 0, left: 0, count: 0 };
  acc.right += dice.right;
  acc.left += dice.left;
  acc.count += 1;
  cell.set(subjectId, acc);
}

function averages(cell: Sums): SubjectMeans {
  const means: SubjectMeans = new Map();
  for (const [id, acc] of cell) means.set(id, { right: acc.right / acc.count, left: acc.left / acc.count });
  return means;
}

function meanPair(cell: SubjectMeans): Pair {
  const values = [...cell.values()];
  return { right: mean(values.map((v) => v.right)), left: mean(values.map((v) => v.left)) };
}
