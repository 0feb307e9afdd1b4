// The runs table (used by the Runs view and the Sweep page): one row per run with live status and progress.
import { useState } from 'react';
import { gql } from '../api/client';
import { describeError } from '../api/errors';
import { CANCEL_RUN } from '../api/queries';
import { elapsed, fmtDuration, label } from '../lib/format';
import { Link } from '../router';
import { ProgressBar, StatusBadge } from './common';
import type { RunFields } from '../../../src/api/run-fields';
import { isActiveStatus } from '../../../src/api/run-status';

export interface RunRow extends RunFields {
  preset: string;
  phase?: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  sweep: { id: string; name: string } | null;
}

export function CancelButton({ id, onDone }: { id: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        className="danger small"
        disabled={busy}
        onClick={async () => {
          if (!confirm('Cancel this run? Its progress so far is kept but it will not finish.')) return;
          setBusy(true);
          try {
            await gql(CANCEL_RUN, { id });
            onDone();
          } catch (e) {
            setError(describeError(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        Cancel
      </button>
      {error && (
        <span className="error-inline" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

export interface Selection {
  ids: string[];
  toggle: (id: string) => void;
}

export function RunTable({
  rows,
  canCancel,
  onCancelled,
  showSweep = true,
  selection,
}: {
  rows: RunRow[];
  canCancel: boolean;
  onCancelled: () => void;
  showSweep?: boolean;
  selection?: Selection;
}) {
  return (
    <div className="table-wrap">
      <table className="runs-table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Kind</th>
            <th>Contrast</th>
            <th>Init</th>
            <th className="num">N</th>
            <th className="num">Seed</th>
            <th>Preset</th>
            {showSweep && <th>Sweep</th>}
            <th>Status</th>
            <th>Progress (epoch)</th>
            <th className="num">Time</th>
            <th>Device</th>
            {canCancel && <th />}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-run-id={r.id} data-status={r.status}>
              <td>
                {selection && (
                  <input
                    type="checkbox"
                    className="select-run"
                    aria-label={`select run ${r.id.slice(0, 8)} to compare`}
                    checked={selection.ids.includes(r.id)}
                    onChange={() => selection.toggle(r.id)}
                  />
                )}
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
              {showSweep && <td>{r.sweep ? <Link to={`/sweeps/${r.sweep.id}`}>{r.sweep.name}</Link> : '—'}</td>}
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>
                <ProgressBar epoch={r.epoch} epochs={r.epochs} status={r.status} phase={r.phase} />
              </td>
              <td className="num">{r.startedAt ? fmtDuration(elapsed(r.startedAt, r.finishedAt)) : '—'}</td>
              <td className="device" title={r.device ?? undefined}>
                {r.device ?? '—'}
              </td>
              {canCancel && <td>{isActiveStatus(r.status) && <CancelButton id={r.id} onDone={onCancelled} />}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
