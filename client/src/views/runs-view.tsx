// Runs: a paginated, filtered table whose status and progress bars move as epochs finish (runEvents).
import { useEffect, useRef, useState } from 'react';
import { canOperate, useQuery } from '../api/hooks';
import { RUNS, SWEEPS } from '../api/queries';
import { ErrorBox, Loading, Pager, Section, Select } from '../components/common';
import { RunTable, type RunRow } from '../components/run-table';
import { Link, navigate, useLocation, withQuery } from '../router';
import { MAX_COMPARED, parseRunIds } from '../../../src/api/compare';
import { useCallerRole } from '../role';
import { patchRow, useRunEvents } from './use-live-runs';
import { RUN_STATUSES } from '../../../src/api/run-status';

const PAGE = 50;
const KINDS = ['PRETRAIN', 'FINETUNE'];
const CONTRASTS = ['DIXON', 'T1_MAP', 'T2_MAP', 'BOLD', 'DWI'];

interface RunsData {
  runs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: RunRow }[] };
}

export function RunsView() {
  const { query } = useLocation();
  const { role } = useCallerRole();
  const filter: Record<string, string> = {};
  for (const k of ['status', 'kind', 'contrast']) if (query.get(k)) filter[k] = query.get(k)!;
  const sweepId = query.get('sweep') ?? '';
  if (sweepId) filter.sweepId = sweepId;
  // cursors of the pages before the current one (the API pages forward only)
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filterKey = JSON.stringify(filter);
  const [pagedFor, setPagedFor] = useState(filterKey);
  if (pagedFor !== filterKey) {
    setPagedFor(filterKey);
    setCursors([null]);
  }
  const page = cursors.length - 1;
  const runs = useQuery<RunsData>(RUNS, { filter, first: PAGE, after: cursors[page] });
  const sweeps = useQuery<{ sweeps: { id: string; name: string }[] }>(SWEEPS);
  const rows = runs.data?.runs.edges.map((e) => e.node) ?? [];
  const known = new Set(rows.map((r) => r.id));
  // events carry no device: a run on screen that a runner just claimed is read again (at most once a second)
  const deviceless = new Set(rows.filter((r) => !r.device).map((r) => r.id));
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (refetchTimer.current && clearTimeout(refetchTimer.current)), []);
  const refetchSoon = () => {
    refetchTimer.current ??= setTimeout(() => {
      refetchTimer.current = null;
      runs.refetch();
    }, 1000);
  };

  const live = useRunEvents(
    sweepId || null,
    (e) => {
      runs.setData(
        (d) => d && { runs: { ...d.runs, edges: d.runs.edges.map((edge) => (edge.node.id === e.runId ? { ...edge, node: patchRow(edge.node, e) } : edge)) } },
      );
      if (e.status === 'RUNNING' && deviceless.has(e.runId)) refetchSoon();
    },
    (id) => known.has(id),
    page === 0 ? runs.refetch : undefined,
  );

  const set = (key: string) => (v: string) => navigate(withQuery(query, key, v));
  // the runs chosen for a comparison live in the URL (?select=a,b), so a reload or a shared link keeps them
  const selected = parseRunIds(query.get('select'));
  const toggle = (id: string) =>
    navigate(withQuery(query, 'select', (selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]).join(',')), true);
  const sweepOptions = sweeps.data?.sweeps ?? [];
  return (
    <Section
      title="Runs"
      actions={
        <span
          className={`live ${live.error ? 'live-off' : 'live-on'}`}
          title={live.error ? String(live.error.message) : 'status and progress update as epochs finish'}
        >
          {live.error ? 'live updates off' : '● live'}
        </span>
      }
    >
      <div className="filters">
        <Select name="status" label="Status" value={filter.status ?? ''} options={[...RUN_STATUSES]} onChange={set('status')} />
        <Select name="kind" label="Kind" value={filter.kind ?? ''} options={KINDS} onChange={set('kind')} />
        <Select name="contrast" label="Contrast" value={filter.contrast ?? ''} options={CONTRASTS} onChange={set('contrast')} />
        <label className="field-inline">
          Sweep
          <select name="sweep" value={sweepId} onChange={(e) => set('sweep')(e.target.value)}>
            <option value="">all</option>
            {sweepOptions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        {Object.keys(filter).length > 0 && (
          <button onClick={() => navigate(selected.length ? `/runs?select=${selected.join(',')}` : '/runs')}>Clear filters</button>
        )}
        <span className="compare-actions">
          {selected.length >= 2 && selected.length <= MAX_COMPARED ? (
            <Link to={`/compare?runs=${selected.join(',')}`} className="button" data-testid="compare-button">
              Compare {selected.length} runs
            </Link>
          ) : (
            <span className="muted">
              {selected.length > MAX_COMPARED ? `at most ${MAX_COMPARED} runs can be compared` : 'tick two or more runs to compare them'}
            </span>
          )}
          {selected.length > 0 && <button onClick={() => navigate(withQuery(query, 'select', ''), true)}>Clear selection</button>}
        </span>
      </div>
      <ErrorBox error={runs.error} title="Runs" />
      <ErrorBox error={live.error} title="Live updates" />
      {runs.loading && !runs.data ? (
        <Loading what="runs" />
      ) : rows.length === 0 && !runs.error ? (
        <p className="muted empty">{Object.keys(filter).length ? 'No run matches these filters.' : 'No runs yet. Launch a sweep to start training.'}</p>
      ) : (
        <RunTable rows={rows} canCancel={canOperate(role)} onCancelled={runs.refetch} selection={{ ids: selected, toggle }} />
      )}
      {runs.data && (
        <Pager
          page={page}
          pageSize={PAGE}
          total={runs.data.runs.totalCount}
          hasNext={runs.data.runs.pageInfo.hasNextPage}
          onPrev={() => setCursors((c) => c.slice(0, -1))}
          onNext={() => setCursors((c) => [...c, runs.data!.runs.pageInfo.endCursor])}
        />
      )}
    </Section>
  );
}
