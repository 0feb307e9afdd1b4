/**
 * The annotation reduction (issue 13, replacing "the first N at which CLC ≥ RI(N_ref)", which one lucky N could fool):
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
import { cellKey, type Cell, type SubjectMeans } from './cells';

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

export function annotationReduction(contrast: string, ns: number[], cells: Map<string, Cell>, referenceN: number): ContrastReduction {
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
