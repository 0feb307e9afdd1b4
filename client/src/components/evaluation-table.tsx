// Per-subject test results of a fine-tuning run: Dice and predicted vs manual kidney volumes.
import { fmt } from '../lib/format';
import { Link } from '../router';

export interface SubjectScore {
  subject: { id: string; code: string; group?: string; series?: { id: string; contrast: string; slices: number }[] };
  dice: { right: number; left: number };
  /** At the training resolution; null for evaluations stored before it was recorded. */
  trainingSizeDice?: { right: number; left: number } | null;
  volumeMl: { right: number; left: number };
  trueVolumeMl: { right: number; left: number };
}

export function EvaluationTable({ subjects, runId, contrast, cohortId }: { subjects: SubjectScore[]; runId: string; contrast: string; cohortId: string }) {
  const sorted = [...subjects].sort((a, b) => a.subject.code.localeCompare(b.subject.code));
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th rowSpan={2}>Subject</th>
            <th colSpan={2}>Dice (series resolution)</th>
            <th colSpan={2}>Dice (training resolution)</th>
            <th colSpan={2}>Right kidney (mL)</th>
            <th colSpan={2}>Left kidney (mL)</th>
            <th rowSpan={2}>Prediction</th>
          </tr>
          <tr>
            <th className="num">right</th>
            <th className="num">left</th>
            <th className="num">right</th>
            <th className="num">left</th>
            <th className="num">predicted</th>
            <th className="num">manual</th>
            <th className="num">predicted</th>
            <th className="num">manual</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => {
            const series = s.subject.series?.find((x) => x.contrast === contrast);
            return (
              <tr key={s.subject.id}>
                <td>{s.subject.code}</td>
                <td className="num">{fmt(s.dice.right)}</td>
                <td className="num">{fmt(s.dice.left)}</td>
                <td className="num muted">{fmt(s.trainingSizeDice?.right)}</td>
                <td className="num muted">{fmt(s.trainingSizeDice?.left)}</td>
                <td className="num">{fmt(s.volumeMl.right, 1)}</td>
                <td className="num">{fmt(s.trueVolumeMl.right, 1)}</td>
                <td className="num">{fmt(s.volumeMl.left, 1)}</td>
                <td className="num">{fmt(s.trueVolumeMl.left, 1)}</td>
                <td>
                  {series ? (
                    <Link to={`/cohorts/${cohortId}?split=TEST&subject=${s.subject.id}&series=${series.id}&overlay=run:${runId}`}>view slices</Link>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
