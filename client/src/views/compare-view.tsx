// Compare runs (issue 17): the runs chosen in the runs table (ids in the URL: /compare?runs=a,b,c), one chart per
// metric with every run's curve, and a config table with only the keys whose values differ.
import { useMemo } from 'react';
import { useQuery } from '../api/hooks';
import { COMPARE_RUN_FIELDS } from '../api/queries';
import { UPlotChart } from '../charts/uplot-chart';
import { ErrorBox, Loading, Section, StatusBadge } from '../components/common';
import { fmt, label } from '../lib/format';
import { Link, useLocation } from '../router';
import { configDifferences, MAX_COMPARED, metricNames, parseRunIds } from '../../../src/api/compare';
import type { RunFields } from '../../../src/api/run-fields';
import { MAX_POINTS, type MetricSeriesJson } from './use-live-metrics';

interface ComparedRun extends RunFields {
  preset: string;
  config: unknown;
  metrics: MetricSeriesJson[];
  evaluation: { meanDice: { right: number; left: number } } | null;
}

/** One query for all runs: an aliased `run(id:)` per id. */
function compareQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$id${i}: ID!`).join(', ');
  const fields = Array.from({ length: n }, (_, i) => `r${i}: run(id: $id${i}) { ${COMPARE_RUN_FIELDS} }`).join('\n');
  return `query DashboardCompare(${vars}, $maxPoints: Int) {\n${fields}\n}`;
}

export const runName = (r: { id: string; kind: string; initialization: string | null; nLabeled: number | null; seed: number }) =>
  `${r.id.slice(0, 8)} ${r.kind === 'FINETUNE' ? `${r.initialization ?? ''} N=${r.nLabeled}` : 'PRETRAIN'} s${r.seed}`;

export function CompareView() {
  const { query } = useLocation();
  const ids = parseRunIds(query.get('runs')).slice(0, MAX_COMPARED);
  const variables = useMemo(() => Object.fromEntries([...ids.map((id, i) => [`id${i}`, id]), ['maxPoints', MAX_POINTS]]), [ids.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  const q = useQuery<Record<string, ComparedRun | null>>(ids.length ? compareQuery(ids.length) : '', variables, !ids.length);
  if (!ids.length) return <ErrorBox error={new Error('No runs to compare: select them in the Runs table (the check boxes) and press Compare.')} />;
  if (q.error && !q.data) return <ErrorBox error={q.error} title="Compare" />;
  if (!q.data) return <Loading what="the runs" />;
  const runs = ids.map((_, i) => q.data![`r${i}`]);
  const missing = ids.filter((_, i) => !runs[i]);
  const found = runs.filter((r): r is ComparedRun => !!r);
  const names = metricNames(found);
  const diffs = configDifferences(found.map((r) => r.config));
  return (
    <>
      <Section title={`Compare ${found.length} runs`} actions={<Link to={`/runs?select=${ids.join(',')}`}>Change the selection</Link>}>
        {missing.length > 0 && (
          <div className="error" role="alert">
            No run with id {missing.join(', ')}.
          </div>
        )}
        <div className="table-wrap">
          <table className="compare-runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Kind</th>
                <th>Contrast</th>
                <th>Init</th>
                <th className="num">N</th>
                <th className="num">Seed</th>
                <th>Preset</th>
                <th>Status</th>
                <th className="num">Epochs</th>
                <th className="num">Dice R</th>
                <th className="num">Dice L</th>
              </tr>
            </thead>
            <tbody>
              {found.map((r) => (
                <tr key={r.id} data-compare-run={r.id}>
                  <td>
                    <Link to={`/runs/${r.id}`} className="mono">
                      {r.id.slice(0, 8)}
                    </Link>
                  </td>
                  <td>{label(r.kind)}</td>
                  <td>{label(r.contrast)}</td>
                  <td>{r.initialization ?? '—'}</td>
                  <td className="num">{r.nLabeled ?? '—'}</td>
                  <td className="num">{r.seed}</td>
                  <td>{r.preset}</td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="num">
                    {r.epoch}/{r.epochs}
                  </td>
                  <td className="num">{r.evaluation ? fmt(r.evaluation.meanDice.right) : '—'}</td>
                  <td className="num">{r.evaluation ? fmt(r.evaluation.meanDice.left) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Metrics by epoch, one chart per metric">
        {names.length === 0 ? (
          <p className="muted empty">None of these runs has recorded a metric yet.</p>
        ) : (
          <div className="chart-grid" data-testid="compare-charts">
            {names.map((name) => (
              <UPlotChart
                key={name}
                title={name}
                log={name === 'lr'}
                yLabel={name}
                series={found.map((r) => {
                  const s = r.metrics.find((m) => m.name === name);
                  return { name: runName(r), x: s?.points.map((p) => p.epoch) ?? [], y: s?.points.map((p) => p.value) ?? [] };
                })}
              />
            ))}
          </div>
        )}
      </Section>
      <Section title="Configuration: the keys that differ">
        {diffs.length === 0 ? (
          <p className="muted empty">The resolved configurations are identical.</p>
        ) : (
          <div className="table-wrap">
            <table className="config-diff" data-testid="config-diff">
              <thead>
                <tr>
                  <th>Key</th>
                  {found.map((r) => (
                    <th key={r.id} className="mono">
                      {r.id.slice(0, 8)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {diffs.map((d) => (
                  <tr key={d.key} data-key={d.key}>
                    <td className="mono">{d.key}</td>
                    {d.values.map((v, i) => (
                      <td key={found[i].id} className="mono">
                        {v ?? '—'}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
