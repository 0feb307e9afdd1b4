/**
 * The epoch write of RunRecorder.epochEnd, with group commit: the epochs that the runners of one process end while a
 * write is in flight wait for it and then go together in the next one statement. One statement is atomic alone (no
 * explicit transaction) and each epoch in it is fenced on its own run's lease, so batching changes what is written in
 * no way, only how many round trips and commits it takes (bench/ingest.ts: 8 concurrent runs). Never two epochs of one
 * run in one statement (an UPDATE touches a row once): the second waits for the next. One statement at a time, so each
 * sees what the one before committed (the unreferenced-checkpoint check below depends on it); measured no slower than
 * two at once (bench/ingest.ts).
 */
import type { DataSource } from 'typeorm';
import { preparedQuery } from '../db/prepared';
import { isTransientDbError } from '../db/transient';
import type { EpochReport } from './job';
import { finiteMetrics, recordCtes } from './metric-writes';

/** The blob keys a run row refers to (alias `r`): a blob one of them names must stay. */
export const runBlobKeys = (r: string) => `${r}."checkpointBlobKey", ${r}."previousCheckpointBlobKey", ${r}."bestCheckpointBlobKey", ${r}."weightsBlobKey"`;

export interface EpochWrite {
  runId: string;
  owner: string;
  leaseMs: number;
  report: EpochReport;
  at: Date;
}

/** The run row as updated, and the checkpoint keys it superseded that no run refers to any more; null: not held. */
export type EpochWritten = { row: Record<string, unknown>; superseded: string[] } | null;

/** Epochs per statement at most (a statement's parameters are arrays, so this only bounds its size). */
const MAX_BATCH = 64;

interface Pending {
  write: EpochWrite;
  resolve: (r: EpochWritten) => void;
  reject: (e: unknown) => void;
}

export class EpochWriter {
  private queue: Pending[] = [];
  private busy = false;

  constructor(private readonly ds: DataSource) {}

  write(write: EpochWrite): Promise<EpochWritten> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.busy) void this.run();
    });
  }

  /** One statement at a time, each with what is queued when it starts. */
  private async run(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length) {
        const batch: Pending[] = [];
        const rest: Pending[] = [];
        const runs = new Set<string>();
        for (const p of this.queue) {
          if (batch.length < MAX_BATCH && !runs.has(p.write.runId)) {
            runs.add(p.write.runId);
            batch.push(p);
          } else rest.push(p);
        }
        this.queue = rest;
        await this.flush(batch);
      }
    } finally {
      this.busy = false;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const answers = await writeEpochs(
        this.ds,
        batch.map((p) => p.write),
      );
      batch.forEach((p, i) => p.resolve(answers[i]));
    } catch (e) {
      // the database is away: every epoch of the batch is retried by its own runner (src/runners/retry.ts). Anything else is
      // one epoch's fault, not its neighbours': each is written again alone, so the error reaches only its owner.
      if (batch.length === 1 || isTransientDbError(e)) {
        for (const p of batch) p.reject(e);
        return;
      }
      for (const p of batch) {
        await writeEpochs(this.ds, [p.write]).then(([a]) => p.resolve(a), p.reject);
      }
    }
  }
}

const writers = new WeakMap<DataSource, EpochWriter>();

/** The process's writer for a data source (one queue per pool, so concurrent runs share statements). */
export function epochWriter(ds: DataSource): EpochWriter {
  let w = writers.get(ds);
  if (!w) writers.set(ds, (w = new EpochWriter(ds)));
  return w;
}

/**
 * Writes epochs of distinct runs in ONE statement; answers in the order given. `b`: the epochs, one row per run.
 * `held`: the UPDATE, fenced (./fenced.ts) per run on the id and owner of its row of `b`: one statement carries many
 * runs, so FENCE's single-run $1/$2 form cannot serve. The right-hand sides of SET read the row as it was (the last
 * checkpoint becomes the previous one, unless this very epoch is stored already: a retry after a commit whose answer
 * was lost, src/runners/retry.ts, then nothing shifts), and the self-join `o` hands back the keys it had before. Points go in
 * only for runs `held` updated: a runner that lost its lease writes nothing. Unreferenced: every CTE reads the snapshot
 * from before the statement, so the references of the runs written are the new ones `held` returns, the other runs'
 * the table's (content-addressed: twin runs, same config and seed, hold the very same bytes and may drop them in one
 * statement: one of them, the first by id, reports the key, so it is deleted once).
 */
export async function writeEpochs(ds: DataSource, writes: EpochWrite[]): Promise<EpochWritten[]> {
  const points = writes.map((w) => ({ w, ...finiteMetrics(w.report.metrics) }));
  const flat = <T>(f: (p: (typeof points)[number], i: number) => T) => points.flatMap((p) => p.names.map((_, i) => f(p, i)));
  // its SQL never changes (the parameters are arrays): prepared once per connection on PostgreSQL
  const rows: Record<string, unknown>[] = await preparedQuery(
    ds,
    `WITH b AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::float8[])
         AS b(id, owner, epoch, epochs, phase, ck, best, "leaseMs")),
     held AS (
       UPDATE run r SET epoch = b.epoch, epochs = b.epochs, phase = b.phase, "checkpointBlobKey" = b.ck,
         "bestCheckpointBlobKey" = COALESCE(b.best, r."bestCheckpointBlobKey"),
         "previousCheckpointBlobKey" = CASE WHEN r."checkpointBlobKey" IS NOT DISTINCT FROM b.ck THEN r."previousCheckpointBlobKey" ELSE r."checkpointBlobKey" END,
         "previousCheckpointEpoch" = CASE WHEN r."checkpointBlobKey" IS NOT DISTINCT FROM b.ck THEN r."previousCheckpointEpoch"
           WHEN r."checkpointBlobKey" IS NULL THEN NULL ELSE r.epoch END,
         "leaseExpiresAt" = now() + b."leaseMs" * interval '1 millisecond', stalls = 0
       FROM b, run o
       WHERE r.id = b.id AND o.id = b.id AND r."leaseOwner" = b.owner AND r.status = 'RUNNING'
       RETURNING r.*, ARRAY[o."previousCheckpointBlobKey", o."checkpointBlobKey", o."bestCheckpointBlobKey"] AS "oldKeys$"),
     ${recordCtes({
       rows: `unnest($9::uuid[], $10::text[], $11::int[], $12::float8[], $13::timestamptz[]) AS x("runId", name, epoch, value, at)
         WHERE x."runId" IN (SELECT id FROM held)`,
     })}
     SELECT held.*, ARRAY(
       SELECT DISTINCT k FROM unnest(held."oldKeys$") k
       WHERE k IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM held h WHERE k IN (${runBlobKeys('h')}))
         AND NOT EXISTS (SELECT 1 FROM run x WHERE x.id NOT IN (SELECT id FROM held) AND k IN (${runBlobKeys('x')}))
         AND held.id = (SELECT h.id FROM held h WHERE k = ANY (h."oldKeys$") ORDER BY h.id LIMIT 1)
     ) AS "superseded$"
     FROM held`,
    [
      writes.map((w) => w.runId),
      writes.map((w) => w.owner),
      writes.map((w) => w.report.epoch),
      writes.map((w) => w.report.epochs),
      writes.map((w) => w.report.phase),
      writes.map((w) => w.report.checkpointKey),
      writes.map((w) => w.report.bestCheckpointKey),
      writes.map((w) => w.leaseMs),
      flat((p) => p.w.runId),
      flat((p, i) => p.names[i]),
      flat((p) => p.w.report.epoch),
      flat((p, i) => p.numbers[i]),
      flat((p) => p.w.at.toISOString()),
    ],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return writes.map((w) => {
    const r = byId.get(w.runId);
    if (!r) return null;
    const { ['oldKeys$']: _old, ['superseded$']: superseded, ...row } = r;
    return { row, superseded: superseded as string[] };
  });
}
