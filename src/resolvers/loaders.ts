/**
 * Per-request DataLoaders: every relation a list can ask for is fetched in one statement per request level,
 * never once per row. Built fresh for every operation (context), so nothing is cached across requests.
 */
import DataLoader from 'dataloader';
import type { Cohort } from '../schema/cohort.entity';
import type { Run } from '../schema/run.entity';
import type { Segmentation } from '../schema/segmentation.entity';
import type { Series } from '../schema/series.entity';
import type { Subject } from '../schema/subject.entity';
import type { Sweep } from '../schema/sweep.entity';
import type { Evaluation } from '../schema/types';
import type { Services } from '../services';
import type { PointRow, SummaryRow } from '../services/metrics.service';
import type { SweepStats } from '../services/sweep.service';

function byId<T extends { id: string }>(fetch: (ids: readonly string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function grouped<T>(fetch: (ids: readonly string[]) => Promise<T[]>, key: (row: T) => string) {
  return new DataLoader<string, T[]>(async (ids) => {
    const rows = await fetch(ids);
    const map = new Map<string, T[]>();
    for (const r of rows) {
      const k = key(r);
      if (!map.has(k)) map.set(k, []);
      map.get(k)!.push(r);
    }
    return ids.map((id) => map.get(id) ?? []);
  });
}

export interface MetricPointsKey {
  runId: string;
  names: string[] | null;
  /** Downsample each series in the database (null: every point). */
  maxPoints: number | null;
}

export function createLoaders(s: Services) {
  return {
    cohort: byId<Cohort>((ids) => s.cohorts.byIds(ids)),
    sweep: byId<Sweep>((ids) => s.sweeps.byIds(ids)),
    run: byId<Run>((ids) => s.runs.byIds(ids)),
    subject: byId<Subject>((ids) => s.cohorts.subjectsByIds(ids)),
    subjectSeries: grouped<Series>(
      (ids) => s.cohorts.seriesBySubjects(ids),
      (x) => x.subjectId,
    ),
    seriesSegmentations: grouped<Segmentation>(
      (ids) => s.segmentations.bySeries(ids),
      (x) => x.seriesId!,
    ),
    sweepRuns: grouped<Run>(
      (ids) => s.runs.bySweeps(ids),
      (r) => r.sweepId!,
    ),
    metricSummaries: grouped<SummaryRow>(
      (ids) => s.metrics.summaries(ids),
      (r) => r.runId,
    ),
    /** Points per run for one set of names; keys with different name sets are fetched in separate statements. */
    metricPoints: new DataLoader<MetricPointsKey, PointRow[], string>(
      async (keys) => {
        const groups = new Map<string, MetricPointsKey[]>();
        for (const k of keys) {
          const g = JSON.stringify([k.names, k.maxPoints]);
          if (!groups.has(g)) groups.set(g, []);
          groups.get(g)!.push(k);
        }
        const result = new Map<string, PointRow[]>();
        for (const [g, ks] of groups) {
          const rows = await s.metrics.points(
            ks.map((k) => k.runId),
            ks[0].names,
            ks[0].maxPoints,
          );
          for (const r of rows) {
            const key = `${r.runId}|${g}`;
            if (!result.has(key)) result.set(key, []);
            result.get(key)!.push(r);
          }
        }
        return keys.map((k) => result.get(`${k.runId}|${JSON.stringify([k.names, k.maxPoints])}`) ?? []);
      },
      { cacheKeyFn: (k) => `${k.runId}|${JSON.stringify([k.names, k.maxPoints])}` },
    ),
    evaluation: new DataLoader<string, Evaluation | null>(async (ids) => {
      const map = await s.evaluations.byRunIds(ids);
      return ids.map((id) => map.get(id) ?? null);
    }),
    subjectCount: new DataLoader<string, number>(async (ids) => {
      const map = await s.cohorts.subjectCounts(ids);
      return ids.map((id) => map.get(id) ?? 0);
    }),
    seriesCounts: new DataLoader<string, Map<string, number>>(async (ids) => {
      const map = await s.cohorts.seriesCounts(ids);
      return ids.map((id) => map.get(id) ?? new Map());
    }),
    sweepStats: new DataLoader<string, SweepStats>(async (ids) => {
      const map = await s.sweeps.stats(ids);
      return ids.map((id) => map.get(id) ?? { total: 0, done: 0, status: 'SUCCEEDED' as SweepStats['status'] });
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
