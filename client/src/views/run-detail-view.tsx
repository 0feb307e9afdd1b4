// Run detail: live metric charts, the resolved config, the evaluation, device and timings.
import { useMemo, useRef, useState } from 'react';
import { canOperate, useQuery, useSubscription } from '../api/hooks';
import { RUN_DETAIL, RUN_PROGRESS } from '../api/queries';
import { ErrorBox, Loading, ProgressBar, Section, StatusBadge } from '../components/common';
import { UPlotChart } from '../charts/uplot-chart';
import { elapsed, fmt, fmtDuration, fmtTime, label } from '../lib/format';
import { Link } from '../router';
import { useCallerRole } from '../role';
import { CancelButton, type RunRow } from '../components/run-table';
import { EvaluationTable, type SubjectScore } from '../components/evaluation-table';
import { SegmentUpload } from '../components/segment-upload';
import { chartGroups, MAX_POINTS, useLiveMetrics, type MetricSeriesJson } from './use-live-metrics';
import { isFinishedStatus } from '../../../src/api/run-status';

interface RunDetail extends RunRow {
  config: unknown;
  device: string | null;
  error: string | null;
  cohort: { id: string; name: string; contrasts: { kind: string; channels: string[] }[] };
  pretrainRun: { id: string; status: string } | null;
  metrics: MetricSeriesJson[];
  evaluation: { meanDice: { right: number; left: number }; subjects: SubjectScore[] } | null;
}

interface Progress {
  runId: string;
  status: string;
  phase: string;
  epoch: number;
  epochs: number;
  at: string;
  metrics: { name: string; value: number }[];
}

export function RunDetailView({ id }: { id: string }) {
  const { role } = useCallerRole();
  const q = useQuery<{ run: RunDetail | null }>(RUN_DETAIL, { id, maxPoints: MAX_POINTS });
  const run = q.data?.run ?? null;
  const { metrics, append } = useLiveMetrics(run?.metrics);
  const [phase, setPhase] = useState<string | undefined>();
  const finishedSeen = useRef(false);
  const subError = useSubscription<{ runProgress: Progress }>(RUN_PROGRESS, { runId: id }, ({ runProgress: e }) => {
    append(e.epoch, e.metrics);
    setPhase(e.phase);
    q.setData((d) =>
      d?.run
        ? {
            run: {
              ...d.run,
              status: e.status,
              epoch: e.epoch,
              epochs: e.epochs,
              startedAt: d.run.startedAt ?? (e.status === 'RUNNING' ? e.at : null),
              finishedAt: isFinishedStatus(e.status) ? e.at : d.run.finishedAt,
            },
          }
        : d,
    );
    // the evaluation, device and final timings exist only once the run has finished: fetch them then (once)
    if (isFinishedStatus(e.status) && !finishedSeen.current) {
      finishedSeen.current = true;
      q.refetch();
    }
  });
  const groups = useMemo(() => chartGroups(Object.keys(metrics)), [metrics]);

  if (q.error && !run) return <ErrorBox error={q.error} title="Run" />;
  if (!run) return q.loading ? <Loading what="the run" /> : <ErrorBox error={new Error(`There is no run ${id}.`)} />;
  const perEpoch = run.epoch > 0 ? (elapsed(run.startedAt, run.finishedAt) ?? 0) / run.epoch : null;
  return (
    <>
      <Section
        title={`${label(run.kind)} run ${run.id.slice(0, 8)}`}
        actions={
          <span className="head-actions">
            {canOperate(role) && !isFinishedStatus(run.status) && <CancelButton id={run.id} onDone={q.refetch} />}
            <StatusBadge status={run.status} />
          </span>
        }
      >
        <ErrorBox error={subError} title="Live updates" />
        {run.error && (
          <div className="error" role="alert">
            <strong>The run failed: </strong>
            {run.error}
          </div>
        )}
        <dl className="facts">
          <dt>Contrast</dt>
          <dd>{label(run.contrast)}</dd>
          <dt>Initialisation</dt>
          <dd>
            {run.initialization ?? '—'}
            {run.pretrainRun && (
              <>
                {' '}
                from <Link to={`/runs/${run.pretrainRun.id}`}>{run.pretrainRun.id.slice(0, 8)}</Link>
              </>
            )}
          </dd>
          <dt>Labelled subjects (N)</dt>
          <dd>{run.nLabeled ?? '—'}</dd>
          <dt>Seed · preset</dt>
          <dd>
            {run.seed} · {run.preset}
          </dd>
          <dt>Cohort</dt>
          <dd>
            <Link to={`/cohorts/${run.cohort.id}`}>{run.cohort.name}</Link>
          </dd>
          <dt>Sweep</dt>
          <dd>{run.sweep ? <Link to={`/sweeps/${run.sweep.id}`}>{run.sweep.name}</Link> : '—'}</dd>
          <dt>Progress</dt>
          <dd>
            <ProgressBar epoch={run.epoch} epochs={run.epochs} status={run.status} phase={phase} />
          </dd>
          <dt>Device</dt>
          <dd>{run.device ?? (run.status === 'QUEUED' ? 'not started yet' : run.status === 'RUNNING' ? 'reported when the run finishes' : '—')}</dd>
          <dt>Queued</dt>
          <dd>
            {fmtTime(run.queuedAt)} (waited {fmtDuration(elapsed(run.queuedAt, run.startedAt))})
          </dd>
          <dt>Started · finished</dt>
          <dd>
            {fmtTime(run.startedAt)} · {fmtTime(run.finishedAt)}
          </dd>
          <dt>Training time</dt>
          <dd>
            {fmtDuration(elapsed(run.startedAt, run.finishedAt))}
            {perEpoch ? ` (${fmtDuration(perEpoch)} per epoch)` : ''}
          </dd>
        </dl>
      </Section>
      <Section title="Metrics by epoch" actions={<span className="muted">{run.status === 'RUNNING' ? 'points are added as epochs finish' : ''}</span>}>
        {groups.length === 0 ? (
          <p className="muted empty">{run.status === 'QUEUED' ? 'The run is queued; charts appear with its first epoch.' : 'No metrics recorded.'}</p>
        ) : (
          <div className="chart-grid">
            {groups.map((g) => (
              <UPlotChart key={g.title} showLast title={g.title} log={g.log} yLabel={g.yLabel} series={g.names.map((n) => ({ name: n, ...metrics[n] }))} />
            ))}
          </div>
        )}
      </Section>
      <ProbeSection metrics={metrics} />
      {run.evaluation && (
        <Section title={`Evaluation on ${run.evaluation.subjects.length} test subjects`}>
          <p>
            Mean Dice: right kidney <strong>{fmt(run.evaluation.meanDice.right)}</strong>, left kidney <strong>{fmt(run.evaluation.meanDice.left)}</strong>
          </p>
          <EvaluationTable subjects={run.evaluation.subjects} runId={run.id} contrast={run.contrast} cohortId={run.cohort.id} />
        </Section>
      )}
      {run.kind === 'FINETUNE' && run.status === 'SUCCEEDED' && canOperate(role) && (
        <Section title="Segment a scan with this model">
          <SegmentUpload runId={run.id} channelNames={run.cohort.contrasts.find((c) => c.kind === run.contrast)?.channels ?? []} />
        </Section>
      )}
      <Section title="Resolved configuration">
        <details>
          <summary>Every hyper-parameter this run used (preset {run.preset} with overrides)</summary>
          <pre className="config">{JSON.stringify(run.config, null, 2)}</pre>
        </details>
      </Section>
    </>
  );
}

/**
 * The PRETRAIN run's diagnostic (src/runners/jobs/probe.ts): validation Dice of a head-only read-out trained on the
 * frozen pretrained encoder-decoder vs on the random one, and how far pretraining moved each level's kernels.
 */
function ProbeSection({ metrics }: { metrics: Record<string, { x: number[]; y: number[] }> }) {
  const last = (name: string) => {
    const s = metrics[name];
    return s && s.y.length ? s.y[s.y.length - 1] : null;
  };
  const clc = last('probe_dice_clc');
  const ri = last('probe_dice_ri');
  if (clc === null || ri === null) return null;
  const groups = Object.keys(metrics)
    .filter((n) => n.startsWith('wchange_') && n !== 'wchange_median')
    .sort();
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);
  return (
    <Section title="Pretraining probe">
      <p>
        Frozen-body probe (segmentation head only, VALIDATION Dice): from this pretraining <strong>{fmt(clc)}</strong>, from random initialisation{' '}
        <strong>{fmt(ri)}</strong>{' '}
        <span className="muted">
          ({clc > ri ? 'pretraining helps the read-out' : 'no gain over random features'}, Δ {fmt(clc - ri)})
        </span>
        . Median kernel change {pct(last('wchange_median'))}.
      </p>
      <table className="reductions" data-testid="probe">
        <thead>
          <tr>
            {groups.map((g) => (
              <th key={g} className="num">
                {g.slice('wchange_'.length)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {groups.map((g) => (
              <td key={g} className="num">
                {pct(last(g))}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
      <p className="muted small">
        Relative change ‖W<sub>pretrained</sub> − W<sub>RI</sub>‖ / ‖W<sub>RI</sub>‖ of the conv kernels per encoder/decoder level.
      </p>
    </Section>
  );
}
