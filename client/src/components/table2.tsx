// Table 2 of the study: mean test Dice per kidney, RANDOM vs CLC, by contrast and N, ∗ where the corrected
// paired t-test has p ≤ 0.05; and the annotation reduction per contrast.
import type { ContrastBaselines as Baselines } from '../../../src/analysis/significance';
import { fmtPercent, groupByContrast, label, table2Cells, type Table2Row } from '../lib/format';

export interface Reduction {
  contrast: string;
  referenceN: number;
  referenceDice?: number | null;
  matchingN: number | null;
  reduction: number | null;
  ci95?: (number | null)[];
  riRise?: number | null;
  riRiseCi95?: (number | null)[];
  refusal?: string | null;
}

export type { ContrastBaselines as Baselines } from '../../../src/analysis/significance';

export function Table2({ rows }: { rows: Table2Row[] }) {
  if (!rows.length) return <p className="muted empty">No evaluated fine-tuning runs yet: Table 2 fills in as runs succeed.</p>;
  return (
    <div className="table-wrap">
      <table className="table2" data-testid="table2">
        <thead>
          <tr>
            <th rowSpan={2}>Contrast</th>
            <th rowSpan={2} className="num">
              N
            </th>
            <th colSpan={2}>Right kidney Dice</th>
            <th colSpan={2}>Left kidney Dice</th>
            <th colSpan={2}>p (corrected)</th>
          </tr>
          <tr>
            <th className="num">RANDOM</th>
            <th className="num">CLC</th>
            <th className="num">RANDOM</th>
            <th className="num">CLC</th>
            <th className="num">right</th>
            <th className="num">left</th>
          </tr>
        </thead>
        <tbody>
          {groupByContrast(rows).flatMap(([contrast, group]) =>
            group.map((r, i) => {
              const c = table2Cells(r);
              return (
                <tr key={`${contrast}-${r.nLabeled}`} className={i === 0 ? 'group-start' : ''}>
                  {i === 0 && (
                    <th rowSpan={group.length} scope="rowgroup">
                      {label(contrast)}
                    </th>
                  )}
                  <td className="num">{r.nLabeled}</td>
                  <td className="num">
                    {c.randomRight}
                    {c.ci.randomRight && <span className="ci"> {c.ci.randomRight}</span>}
                  </td>
                  <td className="num">
                    {c.clcRight}
                    {c.ci.clcRight && <span className="ci"> {c.ci.clcRight}</span>}
                  </td>
                  <td className="num">
                    {c.randomLeft}
                    {c.ci.randomLeft && <span className="ci"> {c.ci.randomLeft}</span>}
                  </td>
                  <td className="num">
                    {c.clcLeft}
                    {c.ci.clcLeft && <span className="ci"> {c.ci.clcLeft}</span>}
                  </td>
                  <td className="num muted">{c.pRight}</td>
                  <td className="num muted">{c.pLeft}</td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
      <p className="muted small">
        Mean Dice over the test subjects (and seeds), [95% bootstrap CI over the test subjects, seeds averaged within a subject]. ∗ marks the better
        initialisation where the paired two-sided t-test, Bonferroni-corrected over the comparisons shown, has p ≤ 0.05.
      </p>
    </div>
  );
}

export function Reductions({ reductions }: { reductions: Reduction[] }) {
  if (!reductions.length) return null;
  return (
    <table className="reductions">
      <thead>
        <tr>
          <th>Contrast</th>
          <th className="num">RANDOM at N</th>
          <th className="num">RANDOM's rise [95% CI]</th>
          <th className="num">CLC matches it at N</th>
          <th className="num">Annotation reduction</th>
          <th className="num">95% CI</th>
        </tr>
      </thead>
      <tbody>
        {reductions.map((r) => (
          <tr key={r.contrast}>
            <td>{label(r.contrast)}</td>
            <td className="num">{r.referenceN}</td>
            <td className="num muted">{fmtRise(r)}</td>
            <td className="num">{r.matchingN === null ? 'not reached' : Number(r.matchingN.toFixed(1))}</td>
            <td className="num">
              <strong>{fmtPercent(r.reduction)}</strong>
            </td>
            <td className="num muted" title={r.refusal ?? undefined}>
              {r.refusal
                ? 'refused: RANDOM flat'
                : r.ci95
                  ? `[${r.ci95[0] === null ? '−∞' : fmtPercent(r.ci95[0])}, ${r.ci95[1] === null ? '—' : fmtPercent(r.ci95[1])}]`
                  : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function fmtRise(r: Reduction): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);
  return r.riRise === null || r.riRise === undefined ? '—' : `${f(r.riRise)} [${f(r.riRiseCi95?.[0])}, ${f(r.riRiseCi95?.[1])}]`;
}

/** What a Dice difference is read against: resolution ceiling, location prior, RANDOM's seed SD. */
export function BaselinesTable({ baselines }: { baselines: Baselines[] }) {
  if (!baselines.length) return null;
  const f = (v: number | null) => (v === null ? '—' : v.toFixed(3));
  return (
    <table className="reductions" data-testid="baselines">
      <thead>
        <tr>
          <th>Contrast</th>
          <th className="num">Resolution ceiling</th>
          <th className="num">Location prior</th>
          <th className="num">RANDOM seed SD</th>
        </tr>
      </thead>
      <tbody>
        {baselines.map((b) => (
          <tr key={b.contrast}>
            <td>
              {label(b.contrast)}
              {b.trainingSize ? <span className="muted"> at {b.trainingSize}²</span> : null}
            </td>
            <td className="num">{f(b.ceilingDice)}</td>
            <td className="num">{f(b.locationPriorDice)}</td>
            <td className="num">{f(b.riSeedSd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
