/** What "nothing lost, nothing doubled" means for a finished run's metric points, as assertions (fault tests). */
import type { DataSource } from 'typeorm';
import { expect } from 'vitest';

/**
 * Every epoch 1..epochs has points, each metric's epochs are contiguous up to the last epoch it was reported in,
 * no (metric, epoch) has more than one point, and each metric's summary counted each point once.
 */
export async function expectEveryEpochOnce(ds: DataSource, runId: string, epochs: number): Promise<void> {
  const points: { name: string; epoch: number; n: number }[] = await ds.query(
    `SELECT name, epoch, count(*)::int AS n FROM metric_point WHERE "runId" = $1 GROUP BY name, epoch ORDER BY name, epoch`,
    [runId],
  );
  expect(
    points.filter((p) => p.n !== 1),
    `run ${runId}: doubled points`,
  ).toEqual([]);
  const byEpoch = new Set(points.map((p) => p.epoch));
  expect(
    [...byEpoch].sort((a, b) => a - b),
    `run ${runId}: epochs with points`,
  ).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  const summaries: { name: string; count: number }[] = await ds.query(`SELECT name, count FROM metric_summary WHERE "runId" = $1`, [runId]);
  const names = [...new Set(points.map((p) => p.name))].sort();
  expect(summaries.map((s) => s.name).sort()).toEqual(names);
  for (const name of names) {
    const e = points.filter((p) => p.name === name).map((p) => p.epoch);
    expect(e, `run ${runId}: epochs of ${name}`).toEqual(Array.from({ length: e.length }, (_, i) => e[0] + i));
    expect(summaries.find((s) => s.name === name)!.count, `run ${runId}: summary count of ${name}`).toBe(e.length);
  }
}

/** The metrics a fine-tuning job reports every epoch (src/runners/jobs/finetune.ts). */
export const FINETUNE_METRICS = ['lr', 'train_loss', 'val_dice_left', 'val_dice_right', 'val_loss'];

/**
 * Stricter, for runs whose every epoch reports the same metrics: exactly `names`, each at every epoch 1..last and
 * nowhere else, and each summary at `last` having counted `last` points.
 */
export async function expectEveryMetricAtEveryEpoch(ds: DataSource, runId: string, last: number, names = FINETUNE_METRICS): Promise<void> {
  const points: { name: string; epoch: number }[] = await ds.query(`SELECT name, epoch FROM metric_point WHERE "runId" = $1 ORDER BY name, epoch`, [runId]);
  expect([...new Set(points.map((p) => p.name))].sort(), `run ${runId}: metrics`).toEqual(names);
  for (const name of names)
    expect(
      points.filter((p) => p.name === name).map((p) => p.epoch),
      `run ${runId}: epochs of ${name}`,
    ).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  expect(points).toHaveLength(names.length * last);
  const summaries: { name: string; lastEpoch: number; count: number }[] = await ds.query(
    `SELECT name, "lastEpoch", count FROM metric_summary WHERE "runId" = $1 ORDER BY name`,
    [runId],
  );
  expect(
    summaries.map((s) => [s.name, s.lastEpoch, s.count]),
    `run ${runId}: summaries`,
  ).toEqual(names.map((n) => [n, last, last]));
}
