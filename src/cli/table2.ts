/**
 * A sweep's report as text, markdown, CSV or JSON: Table 2 (mean test Dice per kidney, RANDOM vs CLC, by contrast
 * and N) with ∗ after the better initialisation of a kidney whose Bonferroni-corrected paired t-test p ≤ 0.05 (the
 * dashboard's rule, method.md "Evaluation"), the annotation reductions, and the Bland–Altman summaries of kidney
 * volumes per model at the largest N.
 */
import { ciText, SIGNIFICANCE, STAR, starredSide, type Kidney, type Table2Row } from '../analysis/significance';
import { labelUse, type Baselines, type ModelAgreement, type Reduction, type ReportData } from './report-data';
import { csvTable, fixed, markdownTable, pValue, textTable } from './text';
import { SUMMARY_ORDER } from '../api/run-status';

export { STAR, starredSide };
export const FORMATS = ['table', 'markdown', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function table2Cells(row: Table2Row): string[] {
  const cell = (init: 'random' | 'clc', kidney: Kidney) => {
    const v = row[init]?.[kidney];
    const ci = ciText(row, init, kidney);
    return fixed(v) + (v !== undefined && starredSide(row, kidney) === init ? STAR : '') + (ci ? ` ${ci}` : '');
  };
  return [
    row.contrast,
    String(row.nLabeled),
    cell('random', 'right'),
    cell('random', 'left'),
    cell('clc', 'right'),
    cell('clc', 'left'),
    pValue(row.pValue?.right),
    pValue(row.pValue?.left),
  ];
}

const sortRows = (rows: Table2Row[]) => [...rows].sort((a, b) => a.contrast.localeCompare(b.contrast) || a.nLabeled - b.nLabeled);

export const TABLE2_HEADER = ['contrast', 'N', 'RANDOM right', 'RANDOM left', 'CLC right', 'CLC left', 'p right', 'p left'];
export const REDUCTION_HEADER = ['contrast', 'reference N', 'RANDOM Dice there', 'RANDOM rise [95% CI]', 'CLC matching N', 'reduction', '95% CI'];
const BASELINE_HEADER = ['contrast', 'training size', 'resolution ceiling', 'location prior', 'RANDOM seed SD'];
const AGREEMENT_HEADER = ['contrast', 'init', 'N', 'seed', 'kidney', 'bias (mL)', 'lower LoA', 'upper LoA', 'subjects'];

const percent = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);

export function reductionCells(r: Reduction): string[] {
  const ci = r.refusal ? 'refused: RANDOM flat' : r.ci95 ? `[${r.ci95[0] === null ? '−∞' : percent(r.ci95[0])}, ${percent(r.ci95[1])}]` : '';
  const signed = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);
  const rise = r.riRise === null ? '—' : `${signed(r.riRise)} [${signed(r.riRiseCi95[0])}, ${signed(r.riRiseCi95[1])}]`;
  return [
    r.contrast,
    String(r.referenceN),
    fixed(r.referenceDice ?? undefined),
    rise,
    r.matchingN === null ? 'not reached' : r.matchingN.toFixed(1),
    percent(r.reduction),
    ci,
  ];
}

function baselineCells(b: Baselines): string[] {
  return [
    b.contrast,
    b.trainingSize ? `${b.trainingSize}²` : '—',
    fixed(b.ceilingDice ?? undefined),
    fixed(b.locationPriorDice ?? undefined),
    fixed(b.riSeedSd ?? undefined),
  ];
}

function agreementCells(m: ModelAgreement): string[][] {
  return (['right', 'left'] as const).map((k) => [
    m.contrast,
    m.initialization,
    String(m.nLabeled),
    String(m.seed),
    k,
    fixed(m[k].bias, 2),
    fixed(m[k].lower, 2),
    fixed(m[k].upper, 2),
    String(m[k].points.length),
  ]);
}

function runSummary(data: ReportData): string {
  const { runs } = data.sweep;
  const count = (s: string) => runs.filter((r) => r.status === s).length;
  const parts = SUMMARY_ORDER.filter((s) => count(s)).map((s) => `${count(s)} ${s.toLowerCase()}`);
  return `sweep "${data.sweep.name}" ${data.sweep.id} (${data.sweep.status}): ${runs.length} runs, ${parts.join(', ')}`;
}

const TABLE2_NOTE = `Mean Dice over the test subjects (and seeds) [95% bootstrap CI over the test subjects, seeds averaged within a subject]. ${STAR}: the better initialisation where the paired two-sided t-test over test subjects, Bonferroni-corrected over the table, has p ≤ ${SIGNIFICANCE}; p: corrected.`;

function sections(data: ReportData): { title: string; note: string; header: string[]; rows: string[][] }[] {
  return [
    { title: 'Table 2: test Dice by N, RANDOM vs CLC', note: TABLE2_NOTE, header: TABLE2_HEADER, rows: sortRows(data.rows).map(table2Cells) },
    {
      title: `Annotation reduction (reference N = ${data.referenceN})`,
      note: `Both Dice-vs-N curves (mean of the two kidneys) fitted non-decreasing (isotonic); N_CLC is where CLC's curve reaches RANDOM's at N = ${data.referenceN}, interpolated in log N; reduction = 1 − N_CLC / N_ref; 95% bootstrap CI over the test subjects (−∞: CLC did not reach it in more than 2.5% of resamples). No reduction is given (refused) where RANDOM's Dice does not rise from its smallest N to N_ref beyond the 95% CI of that rise: then the labels did not limit RANDOM.`,
      header: REDUCTION_HEADER,
      rows: data.reductions.map(reductionCells),
    },
    {
      title: 'Dice at the training resolution',
      note: "The same means before the prediction goes back to the series' own resolution (Table 2), against the masks resampled as for training: the gap is resampling, not the model.",
      header: ['contrast', 'N', 'RANDOM right', 'RANDOM left', 'CLC right', 'CLC left'],
      rows: sortRows(data.rows)
        .filter((r) => r.trainingSize?.random || r.trainingSize?.clc)
        .map((r) => [
          r.contrast,
          String(r.nLabeled),
          fixed(r.trainingSize?.random?.right),
          fixed(r.trainingSize?.random?.left),
          fixed(r.trainingSize?.clc?.right),
          fixed(r.trainingSize?.clc?.left),
        ]),
    },
    {
      title: 'Baselines',
      note: `Resolution ceiling: the manual masks through the training resolution and back. Location prior: the most frequent TRAIN label per pixel and slice position, no image. RANDOM seed SD: a run's mean Dice over seeds, pooled over N. Label use: ${labelUse(data.sweep.runs)}.`,
      header: BASELINE_HEADER,
      rows: (data.baselines ?? []).map(baselineCells),
    },
    {
      title: `Bland–Altman of kidney volumes${data.largestN !== null ? ` at N = ${data.largestN}` : ''}`,
      note: 'Predicted − manual volume (mL) over the test subjects: bias and 95% limits of agreement (bias ± 1.96 SD), per model.',
      header: AGREEMENT_HEADER,
      rows: data.agreement.flatMap(agreementCells),
    },
  ];
}

export function formatReport(data: ReportData, format: Format): string {
  if (format === 'json') return `${JSON.stringify(reportJson(data), null, 2)}\n`;
  if (format === 'csv') return table2Csv(data.rows);
  const md = format === 'markdown';
  const out = [md ? `# ${data.sweep.name}\n\n${runSummary(data)}\n` : `${runSummary(data)}\n`];
  for (const s of sections(data)) {
    const table = s.rows.length ? (md ? markdownTable(s.header, s.rows) : textTable(s.header, s.rows)) : '(nothing evaluated yet)\n';
    out.push(md ? `## ${s.title}\n\n${table}\n${s.note}\n` : `${s.title}\n${table}${s.note}\n`);
  }
  return out.join('\n');
}

export function table2Csv(rows: Table2Row[]): string {
  const ciHeader = ['random', 'clc'].flatMap((i) => ['right', 'left'].flatMap((k) => [`${i}_${k}_lo`, `${i}_${k}_hi`]));
  const header = [
    'contrast',
    'n_labeled',
    'random_right',
    'random_left',
    'clc_right',
    'clc_left',
    'p_right',
    'p_left',
    'significant',
    'star_right',
    'star_left',
    ...ciHeader,
    'seeds_random',
    'seeds_clc',
    'subjects_random',
    'subjects_clc',
  ];
  return csvTable(
    header,
    sortRows(rows).map((r) => [
      r.contrast,
      r.nLabeled,
      r.random?.right,
      r.random?.left,
      r.clc?.right,
      r.clc?.left,
      r.pValue?.right,
      r.pValue?.left,
      r.significant,
      starredSide(r, 'right') ?? '',
      starredSide(r, 'left') ?? '',
      ...(['random', 'clc'] as const).flatMap((i) => (['right', 'left'] as const).flatMap((k): (number | string)[] => r.ci95?.[i]?.[k] ?? ['', ''])),
      r.seeds?.random,
      r.seeds?.clc,
      r.subjects?.random,
      r.subjects?.clc,
    ]),
  );
}

export function reportJson(data: ReportData) {
  const { runs, ...sweep } = data.sweep;
  const contrasts = [...new Set([...data.reductions.map((r) => r.contrast), ...(data.baselines ?? []).map((b) => b.contrast)])].sort();
  return {
    sweep: { ...sweep, runs: runs.map(({ evaluation, config: _config, ...r }) => ({ ...r, meanDice: evaluation?.meanDice ?? null })) },
    referenceN: data.referenceN,
    labelUse: labelUse(runs),
    table2: sortRows(data.rows).map((r) => ({ ...r, star: { right: starredSide(r, 'right'), left: starredSide(r, 'left') } })),
    reductions: data.reductions,
    contrasts: contrasts.map((contrast) => {
      const r = data.reductions.find((x) => x.contrast === contrast);
      const b = (data.baselines ?? []).find((x) => x.contrast === contrast);
      return {
        contrast,
        annotationReduction: r
          ? {
              reduction: r.reduction,
              matchingN: r.matchingN,
              referenceN: r.referenceN,
              ci95: r.ci95,
              riRise: r.riRise,
              riRiseCi95: r.riRiseCi95,
              refusal: r.refusal,
            }
          : null,
        baselines: b ? { ceilingDice: b.ceilingDice, locationPriorDice: b.locationPriorDice, riSeedSd: b.riSeedSd, trainingSize: b.trainingSize } : null,
      };
    }),
    blandAltman: data.agreement.map(({ right, left, ...m }) => ({
      ...m,
      right: { bias: right.bias, lower: right.lower, upper: right.upper, n: right.points.length },
      left: { bias: left.bias, lower: left.lower, upper: left.upper, n: left.points.length },
    })),
  };
}
