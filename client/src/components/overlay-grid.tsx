// Fig. 3: for chosen test subjects, the same slice with the manual mask (GT), the RANDOM run's prediction and
// the CLC run's prediction, side by side.
import { useState } from 'react';
import { useQuery } from '../api/hooks';
import { SUBJECT_SERIES } from '../api/queries';
import { AuthImage } from './auth-image';
import { ErrorBox, Loading } from './common';
import { sliceUrl } from './slice-viewer';

interface TestSubject {
  id: string;
  code: string;
  series: { id: string; contrast: string; slices: number }[];
}

export function OverlayGrid({
  cohortId,
  contrast,
  randomRunId,
  clcRunId,
}: {
  cohortId: string;
  contrast: string;
  randomRunId: string | null;
  clcRunId: string | null;
}) {
  const q = useQuery<{ cohort: { subjects: { edges: { node: TestSubject }[] } } | null }>(SUBJECT_SERIES, { id: cohortId });
  const subjects = (q.data?.cohort?.subjects.edges.map((e) => e.node) ?? []).filter((s) => s.series.some((x) => x.contrast === contrast));
  const [chosen, setChosen] = useState<string[] | null>(null);
  const shown = chosen ?? subjects.slice(0, 3).map((s) => s.id);
  if (q.error) return <ErrorBox error={q.error} title="Test subjects" />;
  if (!q.data) return <Loading what="test subjects" />;
  const columns: [string, string | null][] = [
    ['GT (manual)', 'mask'],
    ['RANDOM', randomRunId && `run:${randomRunId}`],
    ['CLC', clcRunId && `run:${clcRunId}`],
  ];
  return (
    <>
      <div className="subject-picks">
        {subjects.map((s) => (
          <label key={s.id}>
            <input
              type="checkbox"
              checked={shown.includes(s.id)}
              onChange={(e) => setChosen(e.target.checked ? [...shown, s.id] : shown.filter((x) => x !== s.id))}
            />
            {s.code}
          </label>
        ))}
      </div>
      <table className="overlay-grid">
        <thead>
          <tr>
            <th />
            {columns.map(([t]) => (
              <th key={t}>{t}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {subjects
            .filter((s) => shown.includes(s.id))
            .map((s) => {
              const series = s.series.find((x) => x.contrast === contrast)!;
              const k = Math.floor(series.slices / 2);
              return (
                <tr key={s.id}>
                  <th>
                    {s.code}
                    <br />
                    <span className="muted small">slice {k + 1}</span>
                  </th>
                  {columns.map(([t, overlay]) => (
                    <td key={t}>
                      {overlay ? (
                        <AuthImage src={sliceUrl(series.id, k, 0, overlay)} alt={`${s.code} ${t}`} width={200} className="slice" />
                      ) : (
                        <span className="muted">no run</span>
                      )}
                    </td>
                  ))}
                </tr>
              );
            })}
        </tbody>
      </table>
    </>
  );
}
