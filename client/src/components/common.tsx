// Small building blocks used across the views.
import type { ReactNode } from 'react';
import { describeError } from '../api/errors';
import { label } from '../lib/format';

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      {describeError(error)}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted">Loading {what}…</p>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{label(status)}</span>;
}

export function ProgressBar({ epoch, epochs, status, phase }: { epoch: number; epochs: number; status: string; phase?: string }) {
  const frac = status === 'SUCCEEDED' ? 1 : epochs > 0 ? Math.min(1, epoch / epochs) : 0;
  const text = `${epoch}/${epochs}${phase && status === 'RUNNING' ? ` · ${phase}` : ''}`;
  return (
    <div className={`progress progress-${status.toLowerCase()}`} title={text} aria-label={`epoch ${epoch} of ${epochs}`}>
      <div className="progress-fill" style={{ width: `${(frac * 100).toFixed(1)}%` }} />
      <span className="progress-text">{text}</span>
    </div>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Pager({
  page,
  hasNext,
  onPrev,
  onNext,
  total,
  pageSize,
}: {
  page: number;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  total: number;
  pageSize: number;
}) {
  const from = total ? page * pageSize + 1 : 0;
  const to = Math.min(total, (page + 1) * pageSize);
  return (
    <div className="pager">
      <button onClick={onPrev} disabled={page === 0}>
        ← Newer
      </button>
      <span>
        {from}–{to} of {total}
      </span>
      <button onClick={onNext} disabled={!hasNext}>
        Older →
      </button>
    </div>
  );
}

export function Select({
  label: text,
  value,
  options,
  onChange,
  name,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  name: string;
}) {
  return (
    <label className="field-inline">
      {text}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">all</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {label(o)}
          </option>
        ))}
      </select>
    </label>
  );
}
