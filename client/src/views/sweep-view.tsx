// Sweep: progress, Table 2, Dice-vs-N curves, annotation reduction, then the study's figures (SweepFigures).
// Events of the sweep's runs keep the progress live and refresh the tables when a fine-tuning run finishes.
import { useMemo, useState } from 'react';
import { useQuery } from '../api/hooks';
import { SWEEP } from '../api/queries';
import { ErrorBox, Loading, ProgressBar, Section, StatusBadge } from '../components/common';
import { BaselinesTable, Reductions, Table2, type Baselines, type Reduction } from '../components/table2';
import { UPlotChart } from '../charts/uplot-chart';
import { INIT_COLORS } from '../charts/violin';
import { groupByContrast, label, type Table2Row } from '../lib/format';
import { Link } from '../router';
import { SweepFigures, type SweepRun } from './sweep-figures';
import { useRunEvents } from './use-live-runs';
import { isFinishedStatus } from '../../../src/api/run-status';

export interface SweepData {
  sweep: { id: string; name: string; status: string; done: number; total: number; runs: SweepRun[] } | null;
  labelEfficiency: { rows: Table2Row[]; reductions: Reduction[]; baselines?: Baselines[] };
}

function statusCounts(runs: SweepRun[]): string {
  const c = new Map<string, number>();
  runs.forEach((r) => c.set(r.status, (c.get(r.status) ?? 0) + 1));
  return [...c].map(([s, n]) => `${n} ${label(s).toLowerCase()}`).join(' · ');
}

export function SweepView({ id }: { id: string }) {
  // the study's reference is N = 20; a sweep without N = 20 compares against its largest N instead
  const [chosenN, setReferenceN] = useState<number | null>(null);
  const [fallbackN, setFallbackN] = useState<number | null>(null);
  const referenceN = chosenN ?? fallbackN ?? 20;
  const q = useQuery<SweepData>(SWEEP, { id, referenceN });
  const sweep = q.data?.sweep ?? null;
  const runIds = useMemo(() => new Set(sweep?.runs.map((r) => r.id)), [sweep]);
  const live = useRunEvents(
    id,
    (e) => {
      const finished = isFinishedStatus(e.status);
      if (finished)
        q.refetch(); // a finished run changes done/total, Table 2 and the figures
      else
        q.setData((d) =>
          d?.sweep
            ? {
                ...d,
                sweep: { ...d.sweep, runs: d.sweep.runs.map((r) => (r.id === e.runId ? { ...r, status: e.status, epoch: e.epoch, epochs: e.epochs } : r)) },
              }
            : d,
        );
    },
    (rid) => runIds.has(rid),
  );
  const rows = q.data?.labelEfficiency.rows ?? [];
  const curves = useMemo(() => groupByContrast(rows), [rows]);

  if (q.error && !sweep) return <ErrorBox error={q.error} title="Sweep" />;
  if (!sweep) return q.loading ? <Loading what="the sweep" /> : <ErrorBox error={new Error(`There is no sweep ${id}.`)} />;
  const ns = [...new Set(sweep.runs.map((r) => r.nLabeled).filter((n): n is number => n !== null))].sort((a, b) => a - b);
  if (chosenN === null && fallbackN === null && ns.length && !ns.includes(20)) setFallbackN(ns[ns.length - 1]);
  return (
    <>
      <Section title={`Sweep ${sweep.name}`} actions={<StatusBadge status={sweep.status} />}>
        <ErrorBox error={live.error} title="Live updates" />
        <ErrorBox error={q.error} title="Refresh" />
        <div className="sweep-progress">
          <ProgressBar epoch={sweep.done} epochs={sweep.total} status={sweep.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'RUNNING'} />
          <span>
            {sweep.done} of {sweep.total} runs finished: {statusCounts(sweep.runs)}
          </span>
          <Link to={`/runs?sweep=${sweep.id}`}>see its runs</Link>
        </div>
      </Section>
      <Section
        title="Table 2: mean test Dice, RANDOM vs CLC"
        actions={
          <label className="field-inline">
            reference N for the reduction
            <select value={referenceN} onChange={(e) => setReferenceN(Number(e.target.value))}>
              {[...new Set([...ns, referenceN])]
                .sort((a, b) => a - b)
                .map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
            </select>
          </label>
        }
      >
        <Table2 rows={rows} />
        <h3>Annotation reduction</h3>
        <p className="muted small">
          Both Dice-vs-N curves (mean of the two kidneys) fitted non-decreasing; N<sub>CLC</sub> is where CLC's curve reaches RANDOM's at the reference N,
          interpolated in log N; reduction = 1 − N<sub>CLC</sub>/N<sub>ref</sub>, with a 95% bootstrap CI over the test subjects (−∞: CLC did not reach it in
          more than 2.5% of resamples).
        </p>
        <Reductions reductions={q.data?.labelEfficiency.reductions ?? []} />
        <h3>Baselines</h3>
        <p className="muted small">
          Resolution ceiling: the manual masks through the training resolution and back. Location prior: the most frequent TRAIN label per pixel and slice
          position, no image. RANDOM seed SD: the spread of a run's mean Dice over seeds. Read a Dice difference against these.
        </p>
        <BaselinesTable baselines={q.data?.labelEfficiency.baselines ?? []} />
      </Section>
      {curves.length > 0 && (
        <Section title="Dice against the number of labelled subjects">
          <div className="chart-grid">
            {curves.map(([contrast, rs]) => {
              const x = rs.map((r) => r.nLabeled);
              const pick = (init: 'random' | 'clc', k: 'right' | 'left') => {
                const keep = rs.flatMap((r, i) => {
                  const y = r[init]?.[k];
                  return y === undefined ? [] : [{ x: x[i], y, ci: r.ci95?.[init]?.[k] }];
                });
                // error bars: the cell's 95% bootstrap CI (the mean itself where a cell has none)
                return {
                  x: keep.map((p) => p.x),
                  y: keep.map((p) => p.y),
                  errors: { lo: keep.map((p) => p.ci?.[0] ?? p.y), hi: keep.map((p) => p.ci?.[1] ?? p.y) },
                };
              };
              return (
                <UPlotChart
                  key={contrast}
                  title={label(contrast)}
                  xLabel="N labelled"
                  yLabel="mean Dice"
                  points
                  series={[
                    { name: 'RANDOM right', ...pick('random', 'right'), color: INIT_COLORS.RANDOM },
                    { name: 'RANDOM left', ...pick('random', 'left'), color: INIT_COLORS.RANDOM, dash: [6, 4] },
                    { name: 'CLC right', ...pick('clc', 'right'), color: INIT_COLORS.CLC },
                    { name: 'CLC left', ...pick('clc', 'left'), color: INIT_COLORS.CLC, dash: [6, 4] },
                  ]}
                />
              );
            })}
          </div>
        </Section>
      )}
      <SweepFigures runs={sweep.runs} />
    </>
  );
}
