import type { DataSource } from 'typeorm';
import { preparedQuery } from '../db/prepared';
import { isUuid } from '../errors';
import type { MetricPoint } from '../schema/metric.entity';
import type { MetricSeries } from '../schema/types';

export interface PointRow {
  runId: string;
  name: string;
  epoch: number;
  value: number;
  at: Date;
}

export interface SummaryRow {
  runId: string;
  name: string;
  lastEpoch: number;
  last: number;
  min: number;
  max: number;
  count: number;
}

/**
 * The downsampling rule (the database applies it in `MetricsService.points`; this is its reference, checked against
 * it in test/api/metrics-downsample.test.ts). Keeps at most `maxPoints` points, keeping the extremes: the first and the last point, and in
 * each of floor((maxPoints - 2) / 2) equal buckets of the interior its minimum and its maximum (so the global
 * minimum and maximum always survive). With maxPoints < 4, only the global minimum and maximum remain.
 */
export function downsample<T extends { value: number }>(points: T[], maxPoints: number): T[] {
  const n = points.length;
  if (n <= maxPoints) return points;
  const keep = new Set<number>();
  const argExtremes = (from: number, to: number) => {
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i].value < points[lo].value) lo = i;
      if (points[i].value > points[hi].value) hi = i;
    }
    keep.add(lo);
    keep.add(hi);
  };
  if (maxPoints < 4) {
    argExtremes(0, n);
  } else {
    keep.add(0);
    keep.add(n - 1);
    const buckets = Math.floor((maxPoints - 2) / 2);
    const interior = n - 2;
    for (let b = 0; b < buckets; b++) {
      const from = 1 + Math.floor((b * interior) / buckets);
      const to = 1 + Math.floor(((b + 1) * interior) / buckets);
      if (to > from) argExtremes(from, to);
    }
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]);
}

export class MetricsService {
  constructor(private readonly ds: DataSource) {}

  /** Summaries of many runs in one statement. */
  async summaries(runIds: readonly string[]): Promise<SummaryRow[]> {
    const ids = runIds.filter(isUuid);
    if (!ids.length) return [];
    return preparedQuery<SummaryRow>(
      this.ds,
      `SELECT "runId", name, "lastEpoch", last, min, max, count FROM metric_summary WHERE "runId" = ANY($1::uuid[]) ORDER BY "runId", name`,
      [ids],
    );
  }

  /**
   * The points of many runs (optionally only some metric names) in one statement, ordered by epoch; with
   * `maxPoints`, each series downsampled in the database by the rule of `downsample` (same points kept), so a page of
   * long runs does not carry every point to the server.
   */
  async points(runIds: readonly string[], names?: readonly string[] | null, maxPoints?: number | null): Promise<PointRow[]> {
    const ids = runIds.filter(isUuid);
    if (!ids.length) return [];
    const params: unknown[] = [ids];
    let where = `"runId" = ANY($1::uuid[])`;
    if (names) {
      params.push([...names]);
      where += ` AND name = ANY($${params.length}::text[])`;
    }
    if (!maxPoints) {
      return this.seriesRows(`SELECT "runId", name, epoch, value, at FROM metric_point WHERE ${where}`, params);
    }
    params.push(maxPoints, Math.floor((maxPoints - 2) / 2));
    const [max, buckets] = [`$${params.length - 1}::int`, `$${params.length}::int`];
    // Series the summaries say are short enough (count = their number of points, kept in the same transaction as the
    // points) come back whole, straight from the primary key (an index-only scan since it INCLUDEs value and at);
    // only the longer ones pay for the window functions (bench/api.ts run detail: 1,000 points, maxPoints 400).
    // i: 0-based index in the series, n: its length. Bucket of an interior index i (1..n-2): the b whose range
    // [1 + floor(b·I/B), 1 + floor((b+1)·I/B)) holds it, i.e. floor((i·B − 1) / I) with I = n − 2 interior points.
    return this.seriesRows(
      `WITH short AS (SELECT "runId", name FROM metric_summary WHERE ${where} AND count <= ${max}),
       p AS (
         SELECT "runId", name, epoch, value, at,
                row_number() OVER (PARTITION BY "runId", name ORDER BY epoch) - 1 AS i,
                count(*) OVER (PARTITION BY "runId", name) AS n
         FROM metric_point m WHERE ${where} AND NOT EXISTS (SELECT 1 FROM short s WHERE s."runId" = m."runId" AND s.name = m.name)),
       b AS (
         SELECT *, CASE WHEN n <= ${max} THEN i
                        WHEN ${max} < 4 THEN -1
                        WHEN i = 0 THEN -2
                        WHEN i = n - 1 THEN -3
                        ELSE (i * ${buckets} - 1) / (n - 2) END AS bucket
         FROM p),
       r AS (
         SELECT *, row_number() OVER (PARTITION BY "runId", name, bucket ORDER BY value, i) AS lo,
                   row_number() OVER (PARTITION BY "runId", name, bucket ORDER BY value DESC, i) AS hi
         FROM b)
       SELECT "runId", name, epoch, value, at FROM r WHERE lo = 1 OR hi = 1
       UNION ALL
       SELECT "runId", name, epoch, value, at FROM metric_point m
       WHERE ${where} AND EXISTS (SELECT 1 FROM short s WHERE s."runId" = m."runId" AND s.name = m.name)`,
      params,
    );
  }

  /**
   * The rows of `source` ("runId", name, epoch, value, at), fetched as one row of JSON arrays per series: a
   * run-detail page is ~1,000 points, and row-by-row the driver's per-row parsing (timestamps above all) was most of
   * the request's CPU (bench/api.ts run detail). float8 prints in shortest round-trip form, so values are exact.
   */
  private async seriesRows(source: string, params: unknown[]): Promise<PointRow[]> {
    // a handful of fixed texts (with or without names, maxPoints): prepared once per connection on PostgreSQL
    const series = await preparedQuery<{ runId: string; name: string; epochs: number[]; values: number[]; ats: number[] }>(
      this.ds,
      `SELECT "runId", name, json_agg(epoch ORDER BY epoch) AS epochs, json_agg(value ORDER BY epoch) AS "values",
              json_agg((extract(epoch FROM at) * 1000)::float8 ORDER BY epoch) AS ats
       FROM (${source}) s GROUP BY "runId", name ORDER BY "runId", name`,
      params,
    );
    const rows: PointRow[] = [];
    for (const { runId, name, epochs, values, ats } of series) {
      const parse = (x: unknown) => (typeof x === 'string' ? JSON.parse(x) : x) as number[];
      const [e, v, a] = [parse(epochs), parse(values), parse(ats)];
      for (let i = 0; i < e.length; i++) rows.push({ runId, name, epoch: e[i], value: v[i], at: new Date(a[i]) });
    }
    return rows;
  }

  /** MetricSeries from the points given (last/min/max over those points). */
  static seriesFromPoints(rows: PointRow[]): MetricSeries[] {
    const byName = new Map<string, PointRow[]>();
    for (const r of rows) {
      if (!byName.has(r.name)) byName.set(r.name, []);
      byName.get(r.name)!.push(r);
    }
    return [...byName.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, pts]) => {
        let min = Infinity;
        let max = -Infinity;
        for (const p of pts) {
          if (p.value < min) min = p.value;
          if (p.value > max) max = p.value;
        }
        return {
          name,
          points: pts.map((p) => ({ epoch: p.epoch, value: p.value, at: p.at }) as MetricPoint),
          last: pts[pts.length - 1].value,
          min,
          max,
        };
      });
  }
}
