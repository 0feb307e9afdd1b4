/**
 * `nephron report --runs id1,id2,…`: the dashboard's run comparison in the terminal (src/api/compare.ts): the runs
 * side by side, one row per run and metric with its curve as a sparkline on a scale shared by all runs (so curves
 * compare like overlaid lines), and the config keys whose values differ. `--format json` prints the same as JSON.
 */
import { configDifferences, MAX_COMPARED, metricNames, parseRunIds } from '../api/compare';
import type { RunFields } from '../api/run-fields';
import { CliError, usageError } from './args';
import { NephronClient } from './client';
import { textTable } from './text';

interface ComparedRun extends RunFields {
  preset: string;
  config: unknown;
  metrics: { name: string; last: number | null; min: number | null; max: number | null; points: { epoch: number; value: number }[] }[];
  evaluation: { meanDice: { right: number; left: number } } | null;
}

const FIELDS = `id kind status contrast initialization nLabeled seed preset epoch epochs config
  metrics(maxPoints: 200) { name last min max points { epoch value } } evaluation { meanDice { right left } }`;

export async function fetchComparedRuns(client: NephronClient, runsOption: string): Promise<ComparedRun[]> {
  const ids = parseRunIds(runsOption);
  if (ids.length < 2) throw usageError(`--runs needs two or more run ids, comma-separated, got ${JSON.stringify(runsOption)}`);
  if (ids.length > MAX_COMPARED) throw usageError(`--runs takes at most ${MAX_COMPARED} runs, got ${ids.length}`);
  const query = `query(${ids.map((_, i) => `$id${i}: ID!`).join(', ')}) { ${ids.map((_, i) => `r${i}: run(id: $id${i}) { ${FIELDS} }`).join(' ')} }`;
  const data = await client.request<Record<string, ComparedRun | null>>(query, Object.fromEntries(ids.map((id, i) => [`id${i}`, id])));
  const missing = ids.filter((_, i) => !data[`r${i}`]);
  if (missing.length) throw new CliError('NOT_FOUND', `no run with id ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  return ids.map((_, i) => data[`r${i}`]!);
}

const BARS = '▁▂▃▄▅▆▇█';

/** A curve as block characters on [lo, hi] (shared by the runs of one metric); at most `width` points (evenly picked). */
export function sparkline(values: number[], lo: number, hi: number, width = 40): string {
  if (!values.length) return '';
  const picked = values.length <= width ? values : Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))]);
  return picked.map((v) => BARS[hi > lo ? Math.min(7, Math.max(0, Math.round(((v - lo) / (hi - lo)) * 7))) : 3]).join('');
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(Number(v.toPrecision(4))));
const short = (id: string) => id.slice(0, 8);

export function formatComparison(runs: ComparedRun[]): string {
  const out: string[] = [];
  out.push(
    textTable(
      ['run', 'kind', 'contrast', 'init', 'N', 'seed', 'preset', 'status', 'epochs', 'Dice R', 'Dice L'],
      runs.map((r) => [
        short(r.id),
        r.kind,
        r.contrast,
        r.initialization ?? '—',
        r.nLabeled === null ? '—' : String(r.nLabeled),
        String(r.seed),
        r.preset,
        r.status,
        `${r.epoch}/${r.epochs}`,
        num(r.evaluation?.meanDice.right),
        num(r.evaluation?.meanDice.left),
      ]),
    ),
  );
  for (const name of metricNames(runs)) {
    const series = runs.map((r) => r.metrics.find((m) => m.name === name));
    const all = series.flatMap((s) => s?.points.map((p) => p.value) ?? []);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    out.push(`\n${name} (scale ${num(lo)} … ${num(hi)}, shared by the runs)\n`);
    out.push(
      textTable(
        ['run', 'curve by epoch', 'last', 'min', 'max'],
        runs.map((r, i) => [
          short(r.id),
          sparkline(series[i]?.points.map((p) => p.value) ?? [], lo, hi),
          num(series[i]?.last),
          num(series[i]?.min),
          num(series[i]?.max),
        ]),
      ),
    );
  }
  const diffs = configDifferences(runs.map((r) => r.config));
  out.push(`\nconfig: ${diffs.length ? `${diffs.length} key${diffs.length === 1 ? '' : 's'} differ` : 'identical'}\n`);
  if (diffs.length)
    out.push(
      textTable(
        ['key', ...runs.map((r) => short(r.id))],
        diffs.map((d) => [d.key, ...d.values.map((v) => v ?? '—')]),
      ),
    );
  return out.join('');
}

export function comparisonJson(runs: ComparedRun[]): unknown {
  return {
    runs: runs.map(({ config: _c, metrics, ...r }) => ({ ...r, metrics: metrics.map(({ points: _p, ...m }) => m) })),
    metrics: metricNames(runs),
    configDifferences: configDifferences(runs.map((r) => r.config)).map((d) => ({
      key: d.key,
      values: Object.fromEntries(runs.map((r, i) => [r.id, d.values[i] === undefined ? null : JSON.parse(d.values[i]!)])),
    })),
  };
}
