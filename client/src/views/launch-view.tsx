// Launch: the startSweep form, validated in the browser (lib/sweep-form.ts) before anything is sent.
import { useState } from 'react';
import { gql } from '../api/client';
import { ApiError } from '../api/errors';
import { useQuery } from '../api/hooks';
import { LAUNCH_COHORTS, START_SWEEP } from '../api/queries';
import { ErrorBox, Loading, Section } from '../components/common';
import { label } from '../lib/format';
import { CONTRASTS, INITIALIZATIONS, PRESETS, runCount, validateSweep, type FieldErrors, type SweepForm } from '../lib/sweep-form';
import { navigate } from '../router';

interface LaunchCohort {
  id: string;
  name: string;
  contrasts: { kind: string }[];
  subjects: { totalCount: number };
}

const INITIAL: SweepForm = {
  name: '',
  cohortId: '',
  contrasts: ['DIXON'],
  nLabeled: '1, 2, 4, 8, 20',
  initializations: ['RANDOM', 'CLC'],
  seeds: '0',
  preset: 'QUICK',
  pretrainOverrides: '',
  finetuneOverrides: '',
};

function Checks({ name, options, value, onChange }: { name: string; options: readonly string[]; value: string[]; onChange: (v: string[]) => void }) {
  return (
    <div className="checks">
      {options.map((o) => (
        <label key={o}>
          <input
            type="checkbox"
            name={name}
            value={o}
            checked={value.includes(o)}
            onChange={(e) => onChange(e.target.checked ? [...value, o] : value.filter((x) => x !== o))}
          />
          {label(o)}
        </label>
      ))}
    </div>
  );
}

export function LaunchView() {
  const cohorts = useQuery<{ cohorts: LaunchCohort[] }>(LAUNCH_COHORTS);
  const [form, setForm] = useState<SweepForm>(INITIAL);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [sendError, setSendError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const list = cohorts.data?.cohorts ?? [];
  const cohortId = form.cohortId || list[0]?.id || '';
  const cohort = list.find((c) => c.id === cohortId) ?? null;
  const limits = cohort ? { contrasts: cohort.contrasts.map((c) => c.kind), trainSubjects: cohort.subjects.totalCount } : null;
  const current = { ...form, cohortId };
  const preview = validateSweep(current, limits);
  const set =
    <K extends keyof SweepForm>(k: K) =>
    (v: SweepForm[K]) =>
      setForm((f) => ({ ...f, [k]: v }));

  const submit = async () => {
    const { errors: errs, input } = validateSweep(current, limits);
    setErrors(errs);
    setSendError(null);
    if (!input) return;
    setBusy(true);
    try {
      const r = await gql<{ startSweep: { id: string } }>(START_SWEEP, { input });
      navigate(`/sweeps/${r.startSweep.id}`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'BAD_USER_INPUT' && e.field) {
        // show the server's complaint beside the field it names (when the form has that field)
        const key = e.field.replace(/^input\./, '');
        if (key in INITIAL) setErrors({ [key]: e.message });
      }
      setSendError(e);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof SweepForm, text: string, control: React.ReactNode, hint?: string) => (
    <div className={`field ${errors[k] ? 'has-error' : ''}`}>
      <span className="field-label">{text}</span>
      {control}
      {errors[k] ? (
        <span className="field-error" role="alert">
          {errors[k]}
        </span>
      ) : (
        hint && <span className="muted small">{hint}</span>
      )}
    </div>
  );

  if (cohorts.error) return <ErrorBox error={cohorts.error} title="Cohorts" />;
  if (!cohorts.data) return <Loading what="cohorts" />;
  return (
    <Section title="Launch a sweep">
      <form
        className="launch"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {field('name', 'Name', <input name="name" value={form.name} onChange={(e) => set('name')(e.target.value)} placeholder="e.g. table2-dixon-quick" />)}
        {field(
          'cohortId',
          'Cohort',
          <select name="cohortId" value={cohortId} onChange={(e) => set('cohortId')(e.target.value)}>
            {list.length === 0 && <option value="">no cohort yet</option>}
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.subjects.totalCount} training subjects)
              </option>
            ))}
          </select>,
        )}
        {field('contrasts', 'Contrasts', <Checks name="contrasts" options={CONTRASTS} value={form.contrasts} onChange={set('contrasts')} />)}
        {field(
          'nLabeled',
          'N labelled subjects',
          <input name="nLabeled" value={form.nLabeled} onChange={(e) => set('nLabeled')(e.target.value)} />,
          `comma-separated, 1 to ${limits?.trainSubjects ?? 'the training split'}`,
        )}
        {field(
          'initializations',
          'Initialisations',
          <Checks name="initializations" options={INITIALIZATIONS} value={form.initializations} onChange={set('initializations')} />,
          'CLC adds one pretraining run per contrast and seed',
        )}
        {field('seeds', 'Seeds', <input name="seeds" value={form.seeds} onChange={(e) => set('seeds')(e.target.value)} />, 'comma-separated, e.g. 0, 1, 2')}
        {field(
          'preset',
          'Preset',
          <select name="preset" value={form.preset} onChange={(e) => set('preset')(e.target.value)}>
            {PRESETS.map((p) => (
              <option key={p} value={p}>
                {p} —{' '}
                {p === 'SMOKE'
                  ? 'seconds, for checks'
                  : p === 'QUICK'
                    ? 'scaled for a laptop CPU'
                    : p === 'STUDY'
                      ? "sees CLC's effect: 1,500 CLC steps, 400 fine-tuning steps"
                      : "the paper's numbers (GPU)"}
              </option>
            ))}
          </select>,
        )}
        {field(
          'pretrainOverrides',
          'Pretraining overrides (JSON, optional)',
          <textarea
            name="pretrainOverrides"
            rows={2}
            value={form.pretrainOverrides}
            onChange={(e) => set('pretrainOverrides')(e.target.value)}
            placeholder='{"clc": {"epochs": 5}}'
          />,
        )}
        {field(
          'finetuneOverrides',
          'Fine-tuning overrides (JSON, optional)',
          <textarea name="finetuneOverrides" rows={2} value={form.finetuneOverrides} onChange={(e) => set('finetuneOverrides')(e.target.value)} />,
        )}
        <div className="launch-summary">
          {preview.input ? (
            <span>
              This queues <strong>{runCount(preview.input)}</strong> runs.
            </span>
          ) : (
            <span className="muted">Fill in the form to see how many runs it queues.</span>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start sweep'}
          </button>
        </div>
        <ErrorBox error={sendError} title="The server refused the sweep" />
      </form>
    </Section>
  );
}
