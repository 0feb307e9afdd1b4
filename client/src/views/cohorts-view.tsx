// Cohorts: the list, then one cohort's subjects (code, group, split, kidney volumes) and a slice viewer for the
// chosen subject's series.
import { useState } from 'react';
import { useQuery } from '../api/hooks';
import { COHORTS, COHORT_SUBJECTS } from '../api/queries';
import { ErrorBox, Loading, Pager, Section, Select } from '../components/common';
import { SliceViewer, type SeriesInfo } from '../components/slice-viewer';
import { fmt, fmtTime, label } from '../lib/format';
import { Link, navigate, useLocation, withQuery } from '../router';

interface CohortRow {
  id: string;
  name: string;
  source: string;
  fingerprint: string;
  createdAt: string;
  subjectCount: number;
  contrasts: { kind: string; channels: string[]; seriesCount: number }[];
}
interface SubjectRow {
  id: string;
  code: string;
  group: string;
  split: string;
  series: SeriesInfo[];
}
interface SubjectsData {
  cohort: {
    id: string;
    name: string;
    subjects: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: SubjectRow }[] };
  } | null;
}

const PAGE = 25;

function CohortList({ selected }: { selected: string | null }) {
  const q = useQuery<{ cohorts: CohortRow[] }>(COHORTS);
  return (
    <Section title="Cohorts">
      <ErrorBox error={q.error} title="Cohorts" />
      {q.loading && !q.data && <Loading what="cohorts" />}
      {q.data && q.data.cohorts.length === 0 && (
        <p className="muted empty">No cohort yet. The server creates the default synthetic cohort at first start; it may still be generating.</p>
      )}
      {q.data && q.data.cohorts.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Source</th>
              <th className="num">Subjects</th>
              <th>Contrasts (series)</th>
              <th>Created</th>
              <th>Fingerprint</th>
            </tr>
          </thead>
          <tbody>
            {q.data.cohorts.map((c) => (
              <tr key={c.id} className={c.id === selected ? 'selected' : ''}>
                <td>
                  <Link to={`/cohorts/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.source}</td>
                <td className="num">{c.subjectCount}</td>
                <td>{c.contrasts.map((k) => `${label(k.kind)} (${k.seriesCount})`).join(', ')}</td>
                <td>{fmtTime(c.createdAt)}</td>
                <td className="mono small" title={c.fingerprint}>
                  {c.fingerprint.slice(0, 12)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function volumes(s: SubjectRow): string {
  const v = s.series.find((x) => x.kidneyVolumesMl)?.kidneyVolumesMl;
  return v ? `${fmt(v.right, 1)} / ${fmt(v.left, 1)}` : '—';
}

function Subjects({ id }: { id: string }) {
  const { query } = useLocation();
  const split = query.get('split') ?? '';
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [forSplit, setForSplit] = useState(split);
  if (forSplit !== split) {
    setForSplit(split);
    setCursors([null]);
  }
  const page = cursors.length - 1;
  const q = useQuery<SubjectsData>(COHORT_SUBJECTS, { id, split: split || null, first: PAGE, after: cursors[page] });
  const subjects = q.data?.cohort?.subjects.edges.map((e) => e.node) ?? [];
  const seriesParam = query.get('series');
  const chosen = subjects.find((s) => s.id === query.get('subject')) ?? subjects.find((s) => s.series.some((x) => x.id === seriesParam)) ?? null;
  return (
    <>
      <Section
        title={`Subjects of ${q.data?.cohort?.name ?? '…'}`}
        actions={
          <Select name="split" label="Split" value={split} options={['TRAIN', 'VALIDATION', 'TEST']} onChange={(v) => navigate(withQuery(query, 'split', v))} />
        }
      >
        <ErrorBox error={q.error} title="Subjects" />
        {q.loading && !q.data && <Loading what="subjects" />}
        {q.data && !q.data.cohort && <ErrorBox error={new Error(`There is no cohort ${id}.`)} />}
        {subjects.length > 0 && (
          <table className="subjects">
            <thead>
              <tr>
                <th>Code</th>
                <th>Group</th>
                <th>Split</th>
                <th className="num">Kidney volumes R / L (mL)</th>
                <th>Series</th>
              </tr>
            </thead>
            <tbody>
              {subjects.map((s) => (
                <tr key={s.id} className={chosen?.id === s.id ? 'selected' : ''}>
                  <td>
                    <Link to={`/cohorts/${id}?subject=${s.id}${split ? `&split=${split}` : ''}`}>{s.code}</Link>
                  </td>
                  <td>{label(s.group)}</td>
                  <td>{label(s.split)}</td>
                  <td className="num">{volumes(s)}</td>
                  <td>{s.series.map((x) => label(x.contrast)).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {q.data?.cohort && (
          <Pager
            page={page}
            pageSize={PAGE}
            total={q.data.cohort.subjects.totalCount}
            hasNext={q.data.cohort.subjects.pageInfo.hasNextPage}
            onPrev={() => setCursors((c) => c.slice(0, -1))}
            onNext={() => setCursors((c) => [...c, q.data!.cohort!.subjects.pageInfo.endCursor])}
          />
        )}
      </Section>
      {chosen ? (
        <Section title={`Subject ${chosen.code}: series`}>
          <div className="series-grid">
            {chosen.series
              .filter((x) => !seriesParam || x.id === seriesParam || !chosen.series.some((y) => y.id === seriesParam))
              .map((x) => (
                <div key={x.id} className="series-card">
                  <h3>
                    {label(x.contrast)} <span className="muted small">{x.channels.join(', ')}</span>
                  </h3>
                  <SliceViewer series={x} initialOverlay={x.id === seriesParam ? (query.get('overlay') ?? '') : ''} />
                </div>
              ))}
          </div>
          {seriesParam && <Link to={`/cohorts/${id}?subject=${chosen.id}`}>show every series of {chosen.code}</Link>}
        </Section>
      ) : (
        subjects.length > 0 && <p className="muted">Choose a subject to see its series slice by slice.</p>
      )}
    </>
  );
}

export function CohortsView({ id }: { id: string | null }) {
  return (
    <>
      <CohortList selected={id} />
      {id && <Subjects id={id} />}
    </>
  );
}
