// Table 2 of the study: mean test Dice per kidney, RANDOM vs CLC, by contrast and N, ∗ where the corrected
// paired t-test has p ≤ 0.05; and the annotation reduction per contrast.
import { fmtPercent, groupByContrast, label, table2Cells, type Table2Row } from '../lib/format';

export interface Reduction {
  contrast: string;
  referenceN: number;
  matchingN: number | null;
  reduction: number | null;
}

export function Table2({ rows }: { rows: Table2Row[] }) {
  if (!rows.length) return <p className="muted empty">No evaluated fine-tuning runs yet: Table 2 fills in as runs succeed.</p>;
  return (
    <div className="table-wrap">
      <table className="table2" data-testid="table2">
        <thead>
          <tr>
            <th rowSpan={2}>Contrast</th>
            <th rowSpan={2} className="num">N</th>
            <th colSpan={2}>Right kidney Dice</th>
            <th colSpan={2}>Left kidney Dice</th>
            <th colSpan={2}>p (corrected)</th>
          </tr>
          <tr>
            <th className="num">RANDOM</th><th className="num">CLC</th>
            <th className="num">RANDOM</th><th className="num">CLC</th>
            <th className="num">right</th><th className="num">left</th>
          </tr>
        </thead>
        <tbody>
          {groupByContrast(rows).flatMap(([contrast, group]) =>
            group.map((r, i) => {
              const c = table2Cells(r);
              return (
                <tr key={`${contrast}-${r.nLabeled}`} className={i === 0 ? 'group-start' : ''}>
                  {i === 0 && <th rowSpan={group.length} scope="rowgroup">{label(contrast)}</th>}
                  <td className="num">{r.nLabeled}</td>
                  <td className="num">{c.randomRight}</td>
                  <td className="num">{c.clcRight}</td>
                  <td className="num">{c.randomLeft}</td>
                  <td className="num">{c.clcLeft}</td>
                  <td className="num muted">{c.pRight}</td>
                  <td className="num muted">{c.pLeft}</td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
      <p className="muted small">Mean Dice over the test subjects (and seeds). ∗ marks the better initialisation where the paired two-sided t-test, Bonferroni-corrected over the comparisons shown, has p ≤ 0.05.</p>
    </div>
  );
}

export function Reductions({ reductions }: { reductions: Reduction[] }) {
  if (!reductions.length) return null;
  return (
    <table className="reductions">
      <thead><tr><th>Contrast</th><th className="num">RANDOM at N</th><th className="num">CLC matches it at N</th><th className="num">Annotation reduction</th></tr></thead>
      <tbody>
        {reductions.map((r) => (
          <tr key={r.contrast}>
            <td>{label(r.contrast)}</td>
            <td className="num">{r.referenceN}</td>
            <td className="num">{r.matchingN ?? 'not reached'}</td>
            <td className="num"><strong>{fmtPercent(r.reduction)}</strong></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
