/**
 * The study's figures for a sweep, as PNG files: Table 2's Dice-vs-N curves per contrast (RANDOM vs CLC, ∗ where
 * significant), Fig. 1 violins of per-kidney test Dice at the largest N, Fig. 2 Bland–Altman of kidney volumes at the
 * largest N (first seed), and Fig. 3 mask overlays GT / RANDOM / CLC for a few test subjects, from the server's image
 * route (overlay=mask and overlay=run:<runId>).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './args';
import { blandAltmanPng, chartPng, COLORS, svgToPng, type ViolinGroup, violinPng } from './charts';
import type { NephronClient } from './client';
import type { ReportData, ReportRun } from './report-data';
import { STAR, starredSide } from './table2';

export interface Figure {
  file: string;
  caption: string;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];
const KIDNEYS = ['right', 'left'] as const;
const INITS = ['RANDOM', 'CLC'] as const;

/** Table 2 as curves: mean Dice vs N for one contrast, solid right / dashed left kidney, ∗ on significant points. */
export function curvesPng(data: ReportData, contrast: string): Buffer {
  const rows = data.rows.filter((r) => r.contrast === contrast).sort((a, b) => a.nLabeled - b.nLabeled);
  const series = INITS.flatMap((init) =>
    KIDNEYS.map((kidney) => ({
      type: 'line',
      name: `${init} ${kidney}`,
      color: COLORS[init],
      lineStyle: { type: kidney === 'right' ? 'solid' : 'dashed', width: 2 },
      symbol: kidney === 'right' ? 'circle' : 'triangle',
      symbolSize: 7,
      data: rows
        .filter((r) => r[init === 'RANDOM' ? 'random' : 'clc'])
        .map((r) => ({
          value: [r.nLabeled, r[init === 'RANDOM' ? 'random' : 'clc']![kidney]],
          label: {
            show: starredSide(r, kidney) === (init === 'RANDOM' ? 'random' : 'clc'),
            formatter: STAR,
            position: 'top',
            fontSize: 16,
            color: COLORS[init],
          },
        })),
    })),
  );
  // error bars: each cell's 95% bootstrap CI as a vertical segment (one small series per point, kept out of the legend)
  const bars = INITS.flatMap((init) =>
    KIDNEYS.flatMap((kidney) =>
      rows.flatMap((r) => {
        const ci = r.ci95?.[init === 'RANDOM' ? 'random' : 'clc']?.[kidney];
        if (!ci) return [];
        return [
          {
            type: 'line',
            name: `${init} ${kidney} CI`,
            color: COLORS[init],
            showSymbol: false,
            silent: true,
            lineStyle: { width: 1.5, type: 'solid' },
            data: [
              [r.nLabeled, ci[0]],
              [r.nLabeled, ci[1]],
            ],
          },
        ];
      }),
    ),
  );
  return chartPng(
    {
      title: { text: `${contrast}: test Dice vs labelled subjects`, left: 'center', textStyle: { fontSize: 15 } },
      legend: { bottom: 4, data: series.map((s) => s.name) },
      grid: { left: 60, right: 24, top: 48, bottom: 70 },
      xAxis: { type: 'value', name: 'N labelled', nameLocation: 'middle', nameGap: 26, min: 0, max: Math.max(...rows.map((r) => r.nLabeled), 1) },
      yAxis: { type: 'value', name: 'mean Dice', nameLocation: 'middle', nameGap: 40, min: 0, max: 1 },
      series: [...series, ...bars],
    },
    720,
    420,
  );
}

function violinGroups(runs: ReportRun[], n: number, kidney: 'right' | 'left'): ViolinGroup[] {
  const at = runs.filter((r) => r.kind === 'FINETUNE' && r.nLabeled === n && r.evaluation);
  return uniq(at.map((r) => r.contrast))
    .sort()
    .map((contrast) => {
      const dice = (init: string) =>
        at.filter((r) => r.contrast === contrast && r.initialization === init).flatMap((r) => r.evaluation!.subjects.map((s) => s.dice[kidney]));
      return { label: contrast, byInit: { RANDOM: dice('RANDOM'), CLC: dice('CLC') } };
    });
}

interface SeriesRef {
  id: string;
  contrast: string;
  slices: number;
}

/** Middle slices of a few test subjects: GT mask, RANDOM's and CLC's predictions side by side, labelled. */
async function overlayPng(
  client: NephronClient,
  contrast: string,
  subjects: { code: string; series: SeriesRef }[],
  runs: Record<'RANDOM' | 'CLC', ReportRun | undefined>,
): Promise<{ png: Buffer; missing?: string }> {
  const columns: [string, string | null][] = [['GT', 'mask'], ...INITS.map((i): [string, string | null] => [i, runs[i] ? `run:${runs[i]!.id}` : null])];
  const cell = 192;
  const pad = 8;
  const top = 56;
  const left = 96;
  const images: string[] = [];
  let missing: string | undefined;
  for (const [row, s] of subjects.entries()) {
    const k = Math.floor(s.series.slices / 2);
    for (const [col, [, overlay]] of columns.entries()) {
      let png: Buffer | null = null;
      if (overlay) {
        try {
          png = await client.getBytes(`/images/series/${s.series.id}/slice/${k}.png?overlay=${encodeURIComponent(overlay)}`);
        } catch (e) {
          // a server without prediction overlays (or without this run's predictions): GT only, said in the report
          if (!(e instanceof CliError) || !overlay.startsWith('run:')) throw e;
          missing ??= `${e.code}: ${e.message}`;
        }
      }
      const x = left + col * (cell + pad);
      const y = top + row * (cell + pad);
      images.push(
        png
          ? `<image x="${x}" y="${y}" width="${cell}" height="${cell}" preserveAspectRatio="xMidYMid meet" href="data:image/png;base64,${png.toString('base64')}"/>`
          : `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#eeeeee"/><text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" font-size="13" fill="#666">not available</text>`,
      );
    }
    images.push(`<text x="${left - 8}" y="${top + row * (cell + pad) + cell / 2}" text-anchor="end" font-size="14">${s.code}</text>`);
  }
  const heads = columns.map(([t], col) => `<text x="${left + col * (cell + pad) + cell / 2}" y="${top - 10}" text-anchor="middle" font-size="15">${t}</text>`);
  const width = left + columns.length * (cell + pad);
  const height = top + subjects.length * (cell + pad);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans">
<text x="${width / 2}" y="22" text-anchor="middle" font-size="16">${contrast}: middle slice, GT / RANDOM / CLC</text>${heads.join('')}${images.join('\n')}</svg>`;
  return { png: svgToPng(svg), missing };
}

export interface FigureResult {
  figures: Figure[];
  /** Why a prediction overlay (overlay=run:<id>) could not be had, e.g. a server without them yet; Fig. 3 shows GT. */
  missingPredictions?: string;
}

/** Writes every figure under `dir` (created) and returns the files with their captions, in report order. */
export async function writeFigures(client: NephronClient, data: ReportData, dir: string, overlaySubjects = 3): Promise<FigureResult> {
  fs.mkdirSync(dir, { recursive: true });
  const figures: Figure[] = [];
  const write = (file: string, png: Buffer, caption: string) => {
    fs.writeFileSync(path.join(dir, file), png);
    figures.push({ file, caption });
  };
  const contrasts = uniq(data.rows.map((r) => r.contrast)).sort();
  for (const c of contrasts)
    write(`table2-${c}.png`, curvesPng(data, c), `Table 2, ${c}: mean test Dice vs N (solid right, dashed left kidney; ${STAR} p ≤ 0.05 corrected)`);
  let missingPredictions: string | undefined;
  if (data.largestN === null) return { figures };
  const n = data.largestN;
  for (const k of KIDNEYS)
    write(
      `fig1-violins-${k}.png`,
      violinPng(`Fig. 1: ${k} kidney test Dice at N = ${n} (all seeds)`, violinGroups(data.sweep.runs, n, k)),
      `Fig. 1: per-subject ${k} kidney Dice at N = ${n}`,
    );
  const seed = Math.min(...data.agreement.map((m) => m.seed));
  for (const c of contrasts) {
    const models = data.agreement.filter((m) => m.contrast === c && m.seed === seed);
    if (!models.length) continue;
    const panels = KIDNEYS.map((k) => ({
      title: `${k} kidney`,
      series: models.map((m) => ({
        name: m.initialization as 'RANDOM' | 'CLC',
        points: m[k].points.map((p): [number, number] => [p.mean, p.difference]),
        bias: m[k].bias,
        lower: m[k].lower,
        upper: m[k].upper,
      })),
    }));
    write(
      `fig2-bland-altman-${c}.png`,
      blandAltmanPng(`Fig. 2: ${c} kidney volumes at N = ${n}, seed ${seed}`, panels),
      `Fig. 2, ${c}: Bland–Altman of kidney volumes (bias solid, 95% limits dashed)`,
    );
  }
  const cohortId = data.sweep.runs[0]?.cohort.id;
  const { cohort } = await client.request<{ cohort: { subjects: { edges: { node: { id: string; code: string; series: SeriesRef[] } }[] } } | null }>(
    `query($id: ID!, $first: Int) { cohort(id: $id) { subjects(split: TEST, first: $first) { edges { node { id code series { id contrast slices } } } } } }`,
    { id: cohortId, first: overlaySubjects },
  );
  const subjects = cohort?.subjects.edges.map((e) => e.node) ?? [];
  for (const c of contrasts) {
    const pick = (init: string) =>
      data.sweep.runs.find(
        (r) => r.kind === 'FINETUNE' && r.status === 'SUCCEEDED' && r.contrast === c && r.nLabeled === n && r.seed === seed && r.initialization === init,
      );
    const rows = subjects.flatMap((s) => s.series.filter((x) => x.contrast === c).map((series) => ({ code: s.code, series })));
    if (!rows.length) continue;
    const out = await overlayPng(client, c, rows, { RANDOM: pick('RANDOM'), CLC: pick('CLC') });
    missingPredictions ??= out.missing;
    write(`fig3-overlays-${c}.png`, out.png, `Fig. 3, ${c}: masks on the middle slice of ${rows.length} test subjects, N = ${n}, seed ${seed}`);
  }
  return { figures, missingPredictions };
}
