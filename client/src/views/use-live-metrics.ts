// Metric series of one run: the query's (downsampled) points, then every RunProgress event appends its values.
import { useEffect, useState } from 'react';
import { appendPoint, type XY } from '../lib/downsample';

export const MAX_POINTS = 400;

export interface MetricSeriesJson {
  name: string;
  points: { epoch: number; value: number }[];
}

export type MetricMap = Record<string, XY>;

export function fromQuery(series: MetricSeriesJson[]): MetricMap {
  const m: MetricMap = {};
  for (const s of series) m[s.name] = { x: s.points.map((p) => p.epoch), y: s.points.map((p) => p.value) };
  return m;
}

export function applyEpoch(m: MetricMap, epoch: number, values: { name: string; value: number }[], maxPoints = MAX_POINTS): MetricMap {
  if (!values.length) return m;
  const next = { ...m };
  for (const { name, value } of values) next[name] = appendPoint(next[name] ?? { x: [], y: [] }, epoch, value, maxPoints);
  return next;
}

export function useLiveMetrics(initial: MetricSeriesJson[] | undefined) {
  const [metrics, setMetrics] = useState<MetricMap>({});
  useEffect(() => {
    // a refetch (e.g. after the run finished) replaces the live points with the stored ones
    if (initial) setMetrics(fromQuery(initial));
  }, [initial]);
  return { metrics, append: (epoch: number, values: { name: string; value: number }[]) => setMetrics((m) => applyEpoch(m, epoch, values)) };
}

/** Charts to draw: losses together, learning rate alone (log scale), validation Dice together, anything else alone. */
/** The pretraining probe's one-off metrics (src/runners/jobs/probe.ts): shown as a table, not charted. */
export const isProbeMetric = (name: string) => name.startsWith('probe_') || name.startsWith('wchange_');

export function chartGroups(names: string[]): { title: string; names: string[]; log?: boolean; yLabel?: string }[] {
  const sorted = names.filter((n) => !isProbeMetric(n)).sort();
  const losses: string[] = sorted.filter((n) => n.endsWith('loss'));
  const dice = sorted.filter((n) => n.includes('dice'));
  const lr = sorted.filter((n) => n === 'lr') as string[];
  const rest = sorted.filter((n) => !losses.includes(n) && !dice.includes(n) && !lr.includes(n));
  return [
    ...(losses.length ? [{ title: 'Losses', names: losses, yLabel: 'loss' }] : []),
    ...(dice.length ? [{ title: 'Validation Dice', names: dice, yLabel: 'Dice' }] : []),
    ...(lr.length ? [{ title: 'Learning rate', names: lr, log: true, yLabel: 'lr' }] : []),
    ...rest.map((n) => ({ title: n, names: [n] })),
  ];
}
