// The study's figures for one sweep: violins of per-kidney Dice (Fig. 1), Bland–Altman of volumes (Fig. 2)
// and the overlay grid GT / RANDOM / CLC (Fig. 3), for a chosen N (and contrast and seed where one run is meant).
import { useState } from 'react';
import { useQuery } from '../api/hooks';
import { BLAND_ALTMAN } from '../api/queries';
import { BlandAltmanPlot, type BlandAltmanData } from '../charts/bland-altman-plot';
import { INIT_COLORS, Violins, type ViolinGroup } from '../charts/violin';
import { ErrorBox, Section } from '../components/common';
import { OverlayGrid } from '../components/overlay-grid';
import { label } from '../lib/format';
import type { RunFields } from '../../../src/api/run-fields';

export interface SweepRun extends RunFields {
  cohort: { id: string };
  evaluation: {
    meanDice: { right: number; left: number };
    subjects: { subject: { id: string; code: string }; dice: { right: number; left: number } }[];
  } | null;
}

const uniq = <T,>(xs: T[]) => [...new Set(xs)];

function violinGroups(runs: SweepRun[], n: number, kidney: 'right' | 'left'): ViolinGroup[] {
  const at = runs.filter((r) => r.nLabeled === n && r.evaluation);
  return uniq(at.map((r) => r.contrast)).map((contrast) => {
    const dice = (init: string) =>
      at.filter((r) => r.contrast === contrast && r.initialization === init).flatMap((r) => r.evaluation!.subjects.map((s) => s.dice[kidney]));
    return { label: label(contrast), random: dice('RANDOM'), clc: dice('CLC') };
  });
}

function BlandAltmanPair({ run, init }: { run: SweepRun | undefined; init: 'RANDOM' | 'CLC' }) {
  const right = useQuery<{ blandAltman: BlandAltmanData }>(BLAND_ALTMAN, { runId: run?.id, kidney: 'right' }, !run);
  const left = useQuery<{ blandAltman: BlandAltmanData }>(BLAND_ALTMAN, { runId: run?.id, kidney: 'left' }, !run);
  if (!run) return <p className="muted empty">No evaluated {init} run for this choice.</p>;
  return (
    <>
      <ErrorBox error={right.error ?? left.error} title={`Bland–Altman (${init})`} />
      {right.data && <BlandAltmanPlot data={right.data.blandAltman} title={`${init}, right kidney`} color={INIT_COLORS[init]} />}
      {left.data && <BlandAltmanPlot data={left.data.blandAltman} title={`${init}, left kidney`} color={INIT_COLORS[init]} />}
    </>
  );
}

export function SweepFigures({ runs }: { runs: SweepRun[] }) {
  const evaluated = runs.filter((r) => r.kind === 'FINETUNE' && r.evaluation);
  const ns = uniq(evaluated.map((r) => r.nLabeled!)).sort((a, b) => a - b);
  const contrasts = uniq(evaluated.map((r) => r.contrast));
  const seeds = uniq(evaluated.map((r) => r.seed)).sort((a, b) => a - b);
  const [pick, setPick] = useState<{ n?: number; contrast?: string; seed?: number }>({});
  if (!evaluated.length) {
    return (
      <Section title="Figures">
        <p className="muted empty">The figures appear once fine-tuning runs have been evaluated.</p>
      </Section>
    );
  }
  // default to the largest N (the study's Fig. 1 uses N = 58, its largest)
  const n = pick.n !== undefined && ns.includes(pick.n) ? pick.n : ns[ns.length - 1];
  const contrast = pick.contrast && contrasts.includes(pick.contrast) ? pick.contrast : contrasts[0];
  const seed = pick.seed !== undefined && seeds.includes(pick.seed) ? pick.seed : seeds[0];
  const runOf = (init: string) => evaluated.find((r) => r.nLabeled === n && r.contrast === contrast && r.seed === seed && r.initialization === init);
  const choose = (
    <div className="filters">
      <label className="field-inline">
        N labelled
        <select name="fig-n" value={n} onChange={(e) => setPick({ ...pick, n: Number(e.target.value) })}>
          {ns.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        Contrast
        <select name="fig-contrast" value={contrast} onChange={(e) => setPick({ ...pick, contrast: e.target.value })}>
          {contrasts.map((v) => (
            <option key={v} value={v}>
              {label(v)}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        Seed
        <select name="fig-seed" value={seed} onChange={(e) => setPick({ ...pick, seed: Number(e.target.value) })}>
          {seeds.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
  const random = runOf('RANDOM');
  const clc = runOf('CLC');
  return (
    <>
      <Section title="Figures" actions={choose}>
        <h3>Fig. 1: per-kidney test Dice at N = {n} (all seeds)</h3>
        <div className="figure-row">
          <Violins groups={violinGroups(evaluated, n, 'right')} title="right kidney" />
          <Violins groups={violinGroups(evaluated, n, 'left')} title="left kidney" />
        </div>
        <h3>
          Fig. 2: kidney volumes, Bland–Altman ({label(contrast)}, N = {n}, seed {seed})
        </h3>
        <div className="figure-row ba-row">
          <BlandAltmanPair run={random} init="RANDOM" />
          <BlandAltmanPair run={clc} init="CLC" />
        </div>
      </Section>
      <Section title={`Fig. 3: masks on test subjects (${label(contrast)}, N = ${n}, seed ${seed})`}>
        <OverlayGrid cohortId={(random ?? clc)!.cohort.id} contrast={contrast} randomRunId={random?.id ?? null} clcRunId={clc?.id ?? null} />
      </Section>
    </>
  );
}
