/**
 * The metric writes of a run: an epoch's points and the per-series summaries, in the statement that stores the epoch
 * (./epoch-writer.ts) or alone (`recordMetrics`), and the summaries rebuilt after a rewind (./recorder.ts). The reads
 * are src/services/metrics.service.ts.
 */
import type { EntityManager } from 'typeorm';
import type { Db } from './fenced';

/** The finite values of an epoch's metrics (NaN and infinities are not stored), as parallel arrays for unnest. */
export function finiteMetrics(values: Record<string, number>): { names: string[]; numbers: number[] } {
  const names = Object.keys(values).filter((k) => Number.isFinite(values[k]));
  return { names, numbers: names.map((n) => values[n]) };
}

/**
 * The metric write as two CTEs for a statement's WITH (`metric_points`, then `metric_summaries` from what it changed),
 * so an epoch costs one round trip whatever its number of metrics (bench/ingest.ts). `rows`: a FROM clause (a WHERE may
 * follow) giving "runId", name, epoch, value, at, at most one row per series (ON CONFLICT touches a row once).
 * `fresh`: the point did not exist, so the summary counts it; a re-sent point only updates last/min/max.
 * Data-modifying CTEs always run to completion, read or not; the statement is atomic. (`rebuildSummaries`: the same
 * summaries recomputed from all the points.)
 */
export function recordCtes(a: { rows: string }): string {
  return `metric_points AS (
         INSERT INTO metric_point ("runId", name, epoch, value, at)
         SELECT "runId", name, epoch, value, at FROM ${a.rows}
         ON CONFLICT ("runId", name, epoch) DO UPDATE SET value = EXCLUDED.value, at = EXCLUDED.at
         RETURNING "runId", name, epoch, value, (xmax = 0) AS fresh),
       metric_summaries AS (
         INSERT INTO metric_summary ("runId", name, "lastEpoch", last, min, max, count)
         SELECT "runId", name, epoch, value, value, value, CASE WHEN fresh THEN 1 ELSE 0 END FROM metric_points
         ON CONFLICT ("runId", name) DO UPDATE SET
           last = CASE WHEN EXCLUDED."lastEpoch" >= metric_summary."lastEpoch" THEN EXCLUDED.last ELSE metric_summary.last END,
           "lastEpoch" = GREATEST(metric_summary."lastEpoch", EXCLUDED."lastEpoch"),
           min = LEAST(metric_summary.min, EXCLUDED.min),
           max = GREATEST(metric_summary.max, EXCLUDED.max),
           count = metric_summary.count + EXCLUDED.count)`;
}

/**
 * A run's summaries computed again from all its points, after some were deleted (a rewind, ./recorder.ts).
 * The same summary as `recordCtes` keeps (test/runs/metrics-record.test.ts compares them), written the other way
 * on purpose: a min or max cannot be taken back out of a summary, so a rewind must aggregate; an epoch must not, it
 * folds each new point into the stored summary (one row per series, no grouping) so that its cost does not depend on
 * the run's length. Sharing this aggregate, an epoch would group its points first: ~25% more for the summary upsert
 * of 8 runs × 5 metrics (pgbench, 0.57-0.68 against 0.70-0.88 ms).
 */
export async function rebuildSummaries(manager: EntityManager, runId: string): Promise<void> {
  await manager.query(`DELETE FROM metric_summary WHERE "runId" = $1`, [runId]);
  await manager.query(
    `INSERT INTO metric_summary ("runId", name, "lastEpoch", last, min, max, count)
     SELECT "runId", name, max(epoch), (array_agg(value ORDER BY epoch DESC))[1], min(value), max(value), count(*)::int
     FROM metric_point WHERE "runId" = $1 GROUP BY "runId", name`,
    [runId],
  );
}

/**
 * Records one epoch's metric values for a run: points are upserted on (runId, name, epoch), so re-sending is
 * idempotent, and the per-series summary is maintained in the same statement. Pass a transaction's manager to join
 * it. (Runners write through RunRecorder.epochEnd: ./epoch-writer.ts puts `recordCtes` in its own statement.)
 */
export async function recordMetrics(db: Db, runId: string, epoch: number, values: Record<string, number>, at = new Date()): Promise<void> {
  const { names, numbers } = finiteMetrics(values);
  if (!names.length) return;
  const rows = `(SELECT $1::uuid AS "runId", n AS name, $2::int AS epoch, v AS value, $3::timestamptz AS at FROM unnest($4::text[], $5::float8[]) AS u(n, v)) AS x`;
  await db.query(`WITH ${recordCtes({ rows })} SELECT 1`, [runId, epoch, at, names, numbers]);
}
