// Sweeps: every sweep with its progress; a finished run anywhere refreshes the counts (no polling).
import { useRef } from 'react';
import { canOperate, useQuery } from '../api/hooks';
import { SWEEPS } from '../api/queries';
import { ErrorBox, Loading, ProgressBar, Section, StatusBadge } from '../components/common';
import { Link } from '../router';
import { useCallerRole } from '../role';
import { useRunEvents } from './use-live-runs';
import { isFinishedStatus } from '../../../src/api/run-status';

interface SweepRow {
  id: string;
  name: string;
  status: string;
  done: number;
  total: number;
}

export function SweepsView() {
  const { role } = useCallerRole();
  const q = useQuery<{ sweeps: SweepRow[] }>(SWEEPS);
  const pending = useRef(false);
  const live = useRunEvents(
    null,
    (e) => {
      // only status changes move these counts, not epochs
      if (!isFinishedStatus(e.status) && e.phase !== 'queue') return;
      if (pending.current) return; // one refetch a second at most while many runs finish together
      pending.current = true;
      setTimeout(() => {
        pending.current = false;
        q.refetch();
      }, 1000);
    },
    () => true,
  );
  return (
    <Section
      title="Sweeps"
      actions={
        canOperate(role) ? (
          <Link to="/launch" className="button">
            + Launch sweep
          </Link>
        ) : undefined
      }
    >
      <ErrorBox error={q.error} title="Sweeps" />
      <ErrorBox error={live.error} title="Live updates" />
      {q.loading && !q.data && <Loading what="sweeps" />}
      {q.data && q.data.sweeps.length === 0 && <p className="muted empty">No sweeps yet.{canOperate(role) ? ' Launch one to reproduce Table 2.' : ''}</p>}
      {q.data && q.data.sweeps.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Runs finished</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {q.data.sweeps.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/sweeps/${s.id}`}>{s.name}</Link>
                </td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td>
                  <ProgressBar epoch={s.done} epochs={s.total} status={s.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'RUNNING'} />
                </td>
                <td>
                  <Link to={`/runs?sweep=${s.id}`}>runs</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
