/**
 * Everything a sweep's report needs, from the public API only: the sweep and its runs with their evaluations,
 * labelEfficiency (Table 2 and the reductions) and blandAltman for each evaluated fine-tuning run at the largest N
 * (one request, aliased).
 */
import type { ContrastReduction } from '../analysis/annotation-reduction';
import type { ContrastBaselines as Baselines, Pair, Table2Row } from '../analysis/significance';
import { CliError } from './args';
import { NephronClient } from './client';
import type { RunInfo } from './progress';
import { RUN_INFO } from './watch';

export type { Pair, Table2Row } from '../analysis/significance';

/** Whether the sweep's pretraining used the manual masks (constraints.kidneyBox PER_SLICE), in words for the report. */
export function labelUse(runs: ReportRun[]): string {
  const boxes = new Set(runs.filter((r) => r.kind === 'PRETRAIN').map((r) => r.config?.constraints?.kidneyBox ?? 'OFF'));
  if (!boxes.size) return 'no pretraining run in this sweep';
  if (boxes.has('PER_SLICE'))
    return "as-published arm: constraints.kidneyBox PER_SLICE multiplies the PCA components by each slice's kidney bounding box from the manual masks — the CLC pretraining used labels";
  return 'label-free: constraint maps and anchors (body mask) use no manual mask (constraints.kidneyBox OFF); only the probe scores on VALIDATION masks';
}

/** An annotation reduction as `labelEfficiency` answers it (the analysis's own type). */
export type Reduction = ContrastReduction;

export type { ContrastBaselines as Baselines } from '../analysis/significance';

export interface SubjectScore {
  subject: { id: string; code: string };
  dice: Pair;
  volumeMl: Pair;
  trueVolumeMl: Pair;
}

export interface ReportRun extends RunInfo {
  preset: string;
  /** The run's resolved config (src/ml/presets.ts): the report states label use from it. */
  config?: { constraints?: { kidneyBox?: string } } | null;
  cohort: { id: string; name: string };
  evaluation: { meanDice: Pair; subjects: SubjectScore[] } | null;
}

export interface BlandAltmanSummary {
  bias: number;
  lower: number;
  upper: number;
  points: { subject: { code: string }; mean: number; difference: number }[];
}

export interface ModelAgreement {
  runId: string;
  contrast: string;
  initialization: string;
  nLabeled: number;
  seed: number;
  right: BlandAltmanSummary;
  left: BlandAltmanSummary;
}

export interface ReportData {
  sweep: { id: string; name: string; status: string; done: number; total: number; runs: ReportRun[] };
  referenceN: number;
  rows: Table2Row[];
  reductions: Reduction[];
  baselines: Baselines[];
  /** N of the Bland–Altman summaries and of Fig. 1: the sweep's largest N. */
  largestN: number | null;
  agreement: ModelAgreement[];
}

const PAIR = 'right left';

export async function fetchReport(client: NephronClient, sweepId: string, referenceN: number): Promise<ReportData> {
  const data = await client.request<{ sweep: ReportData['sweep'] | null }>(
    `query($id: ID!) { sweep(id: $id) { id name status done total runs { ${RUN_INFO} preset config cohort { id name }
       evaluation { meanDice { ${PAIR} } subjects { subject { id code } dice { ${PAIR} } volumeMl { ${PAIR} } trueVolumeMl { ${PAIR} } } } } } }`,
    { id: sweepId },
  );
  if (!data.sweep) throw new CliError('NOT_FOUND', `no sweep with id ${JSON.stringify(sweepId)}`);
  const { labelEfficiency } = await client.request<{ labelEfficiency: { rows: Table2Row[]; reductions: Reduction[]; baselines: Baselines[] } }>(
    `query($id: ID!, $n: Int!) { labelEfficiency(sweepId: $id, referenceN: $n) {
       rows { contrast nLabeled random { ${PAIR} } clc { ${PAIR} } pValue { ${PAIR} } significant
         ci95 { random { ${PAIR} } clc { ${PAIR} } } trainingSize { random { ${PAIR} } clc { ${PAIR} } } seeds { random clc } subjects { random clc } }
       reductions { contrast referenceN referenceDice matchingN reduction ci95 riRise riRiseCi95 refusal }
       baselines { contrast trainingSize ceilingDice locationPriorDice riSeedSd } } }`,
    { id: sweepId, n: referenceN },
  );
  const evaluated = data.sweep.runs.filter((r) => r.kind === 'FINETUNE' && r.status === 'SUCCEEDED' && r.evaluation);
  const largestN = evaluated.length ? Math.max(...evaluated.map((r) => r.nLabeled ?? 0)) : null;
  const models = evaluated.filter((r) => r.nLabeled === largestN).sort(byModel);
  return {
    sweep: data.sweep,
    referenceN,
    rows: labelEfficiency.rows,
    reductions: labelEfficiency.reductions,
    baselines: labelEfficiency.baselines,
    largestN,
    agreement: await fetchAgreement(client, models),
  };
}

export const byModel = (a: RunInfo, b: RunInfo) =>
  a.contrast.localeCompare(b.contrast) ||
  (a.nLabeled ?? 0) - (b.nLabeled ?? 0) ||
  String(a.initialization).localeCompare(String(b.initialization)) ||
  a.seed - b.seed;

async function fetchAgreement(client: NephronClient, runs: ReportRun[]): Promise<ModelAgreement[]> {
  if (!runs.length) return [];
  const fields = 'bias lower upper points { subject { code } mean difference }';
  const vars = runs.map((_, i) => `$r${i}: ID!`).join(', ');
  const body = runs
    .map((_, i) => `r${i}: blandAltman(runId: $r${i}, kidney: "right") { ${fields} } l${i}: blandAltman(runId: $r${i}, kidney: "left") { ${fields} }`)
    .join('\n');
  const answer = await client.request<Record<string, BlandAltmanSummary>>(
    `query(${vars}) { ${body} }`,
    Object.fromEntries(runs.map((r, i) => [`r${i}`, r.id])),
  );
  return runs.map((r, i) => ({
    runId: r.id,
    contrast: r.contrast,
    initialization: r.initialization ?? '',
    nLabeled: r.nLabeled ?? 0,
    seed: r.seed,
    right: answer[`r${i}`],
    left: answer[`l${i}`],
  }));
}
