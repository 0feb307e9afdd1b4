/**
 * The delivery check of bench/subscribers.ts: what each subscriber received, compared with what the database says
 * happened. Counting only events some subscriber received cannot see an event that every subscriber missed, so the
 * expected events come from the sweep's rows: per run its claim (RUNNING at epoch 0), one event per epoch recorded in
 * `metric_point`, and its final status at its last epoch (RunProgress: one event per epoch and per status change).
 */
import type { DataSource } from 'typeorm';

/** One receipt as a subscriber saw it: event key `${runId}/${status}/${epoch}` and ms from `at` to receipt. */
export type Receipt = [key: string, delayMs: number];

export interface Expected {
  /** Every event key the subscribers should each receive once. */
  keys: Set<string>;
  /** Position of an event within its run (claim 0, epoch e → e, final status last), for the order check. */
  rank: Map<string, { runId: string; rank: number }>;
  /** Why the ground truth is not the simple one this check models (a run requeued, failed, …); empty when it is. */
  problems: string[];
}

export interface SubscriberTally {
  expected: number;
  received: number;
  missing: number;
  duplicated: number;
  outOfOrder: number;
  /** Events not in the database's account (none expected). */
  unexpected: number;
}

/** The events of each run of the sweep, from the run rows and their recorded metric points. */
export async function expectedEvents(ds: DataSource, sweepId: string): Promise<Expected> {
  const rows: { id: string; status: string; attempts: number; epoch: number; recorded: number[] }[] = await ds.query(
    `SELECT r.id, r.status, r.attempts, r.epoch,
            COALESCE(array_agg(DISTINCT p.epoch ORDER BY p.epoch) FILTER (WHERE p.epoch IS NOT NULL), '{}') AS recorded
       FROM run r LEFT JOIN metric_point p ON p."runId" = r.id
      WHERE r."sweepId" = $1 GROUP BY r.id`,
    [sweepId],
  );
  const keys = new Set<string>();
  const rank = new Map<string, { runId: string; rank: number }>();
  const problems: string[] = [];
  const add = (runId: string, status: string, epoch: number, r: number) => {
    const k = `${runId}/${status}/${epoch}`;
    keys.add(k);
    rank.set(k, { runId, rank: r });
  };
  for (const run of rows) {
    // a requeued or failed run has events this model does not list (a second claim, a requeue): say so, do not guess
    if (run.status !== 'SUCCEEDED' || run.attempts !== 1) problems.push(`run ${run.id}: ${run.status} after ${run.attempts} attempt(s)`);
    const last = run.recorded.at(-1) ?? 0;
    if (last !== run.epoch) problems.push(`run ${run.id}: epoch ${run.epoch}, last recorded point at epoch ${last}`);
    add(run.id, 'RUNNING', 0, 0);
    for (const e of run.recorded) add(run.id, 'RUNNING', e, e);
    add(run.id, run.status, run.epoch, Number.MAX_SAFE_INTEGER);
  }
  return { keys, rank, problems };
}

/** One subscriber's receipts against the expected events: each expected once, each run's events in order. */
export function tally(expected: Expected, receipts: Receipt[]): SubscriberTally {
  const seen = new Set<string>();
  const highest = new Map<string, number>(); // runId → highest rank received so far
  let duplicated = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  for (const [key] of receipts) {
    const r = expected.rank.get(key);
    if (!r) {
      unexpected++;
      continue;
    }
    if (seen.has(key)) {
      duplicated++;
      continue;
    }
    seen.add(key);
    if (r.rank < (highest.get(r.runId) ?? -1)) outOfOrder++;
    else highest.set(r.runId, r.rank);
  }
  return { expected: expected.keys.size, received: seen.size, missing: expected.keys.size - seen.size, duplicated, outOfOrder, unexpected };
}

/** The events no subscriber received: what a count over received events alone cannot show. */
export function missedByAll(expected: Expected, receipts: Receipt[][]): string[] {
  const got = new Set(receipts.flatMap((r) => r.map(([k]) => k)));
  return [...expected.keys].filter((k) => !got.has(k));
}

/** One line per distinct tally, with the subscribers (by index) that had it; the all-well line first. */
export function tallyLines(tallies: SubscriberTally[]): string[] {
  const groups = new Map<string, number[]>();
  tallies.forEach((t, i) => {
    const k = `expected ${t.expected}, received ${t.received}, missing ${t.missing}, duplicated ${t.duplicated}, out of order ${t.outOfOrder}, unexpected ${t.unexpected}`;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const clean = (k: string) => /missing 0, duplicated 0, out of order 0, unexpected 0$/.test(k);
  return [...groups.entries()]
    .sort(([a], [b]) => Number(clean(b)) - Number(clean(a)))
    .map(
      ([k, who]) =>
        `${String(who.length).padStart(4)} subscriber(s): ${k}${clean(k) ? '' : ` — #${who.slice(0, 20).join(', #')}${who.length > 20 ? ', …' : ''}`}`,
    );
}
