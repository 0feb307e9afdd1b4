/**
 * The run queue in SQL, the same on PostgreSQL and PGlite. A runner slot claims the oldest runnable QUEUED run
 * (FOR UPDATE SKIP LOCKED inside one UPDATE, so two processes never get the same run) and holds it with a lease:
 * leaseOwner (a unique id per slot and process) and leaseExpiresAt, renewed by a heartbeat. Every write a runner
 * makes afterwards is fenced on the lease (./fenced.ts). Every status change here is published once committed.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { Run } from '../schema/run.entity';
import { RunStatus } from '../schema/enums';
import { publishStatus } from './events';
import { fenced, FENCE, updated, type Db } from './fenced';
import type { PubSub } from './pubsub';

/** A validated run, as the services build it: everything but its state, which the queue sets (QUEUED, epoch 0). */
export type NewRun = Pick<
  Run,
  | 'kind'
  | 'cohortId'
  | 'cohortFingerprint'
  | 'contrast'
  | 'initialization'
  | 'pretrainRunId'
  | 'nLabeled'
  | 'seed'
  | 'preset'
  | 'config'
  | 'overrides'
  | 'sweepId'
  | 'epochs'
  | 'codeVersion'
>;

/** A transaction that queues runs: it reads and writes through `manager`; `enqueue` inserts a QUEUED run. */
export interface QueueingTransaction {
  manager: EntityManager;
  enqueue(run: NewRun): Promise<Run>;
}

/**
 * Runs `work` in one transaction; once it committed, the runs it queued are published, all at once and in the order
 * queued (the PubSub keeps their order, and on PostgreSQL they share NOTIFY statements instead of one round trip
 * each). Nothing is published when it fails.
 */
export async function queueingTransaction<T>(ds: DataSource, pubsub: PubSub, work: (tx: QueueingTransaction) => Promise<T>): Promise<T> {
  const queued: Run[] = [];
  const result = await ds.transaction((manager) =>
    work({
      manager,
      enqueue: async (run) => {
        const repo = manager.getRepository(Run);
        const saved = await repo.save(repo.create({ ...run, status: RunStatus.QUEUED, epoch: 0 }));
        queued.push(saved);
        return saved;
      },
    }),
  );
  await publishStatus(pubsub, queued);
  return result;
}

export type LeaseState = 'held' | 'cancelled' | 'lost';

/** A FINETUNE run from CLC is runnable once its pretraining run SUCCEEDED. */
const RUNNABLE = `r.status = 'QUEUED' AND (r."pretrainRunId" IS NULL OR EXISTS (
  SELECT 1 FROM run p WHERE p.id = r."pretrainRunId" AND p.status = 'SUCCEEDED'))`;

export class RunQueue {
  constructor(
    private readonly ds: DataSource,
    private readonly pubsub: PubSub,
  ) {}

  /** QUEUED → RUNNING for the oldest runnable run, leased to `owner` for `leaseMs`, published; null when none is runnable. */
  async claim(owner: string, leaseMs: number, device: string | null = null): Promise<Run | null> {
    // the device of the claiming slot, so that clients see where a run trains while it runs
    const [run] = await updated(
      this.ds,
      `UPDATE run SET status = 'RUNNING', "leaseOwner" = $1, "leaseExpiresAt" = now() + $2 * interval '1 millisecond',
         "startedAt" = COALESCE("startedAt", now()), error = NULL, attempts = attempts + 1, device = COALESCE($3, device)
       WHERE id = (SELECT r.id FROM run r WHERE ${RUNNABLE} ORDER BY r.seq FOR UPDATE SKIP LOCKED LIMIT 1)
         AND status = 'QUEUED'`,
      [owner, leaseMs, device],
    );
    if (!run) return null;
    await publishStatus(this.pubsub, [run]);
    return run;
  }

  /**
   * Heartbeat: extends the lease while `owner` holds a RUNNING run. 'cancelled': the run was cancelled (stop the
   * job); 'lost': someone else holds it now, or it is gone (stop the job and touch nothing).
   */
  async renew(runId: string, owner: string, leaseMs: number, db: Db = this.ds): Promise<LeaseState> {
    const rows: { status: RunStatus; leaseOwner: string | null }[] = await db.query(
      `WITH x AS (
         UPDATE run SET "leaseExpiresAt" = now() + $3 * interval '1 millisecond' WHERE ${FENCE} RETURNING status, "leaseOwner")
       SELECT status, "leaseOwner" FROM x
       UNION ALL SELECT status, "leaseOwner" FROM run WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM x)`,
      [runId, owner, leaseMs],
    );
    const row = rows[0];
    if (row?.status === RunStatus.RUNNING && row.leaseOwner === owner) return 'held';
    if (row?.status === RunStatus.CANCELLED && row.leaseOwner === owner) return 'cancelled';
    return 'lost';
  }

  /**
   * RUNNING runs whose lease expired (their process died or hung) go back to QUEUED and resume from their
   * checkpoint; a run that has lost its runner `maxAttempts` times in a row without storing an epoch in between
   * (`stalls`, reset by every stored epoch) fails instead, so a run that kills its process (e.g. out of memory)
   * cannot loop forever, while one whose server is killed or restarted now and then still finishes. Then, as a
   * backstop, fails the orphaned fine-tuning runs (failOrphanedFineTuning), and publishes all of them together.
   */
  async reclaimExpired(maxAttempts: number): Promise<{ requeued: Run[]; failed: Run[]; orphans: Run[] }> {
    const { requeued, failed } = await this.ds.transaction(async (m) => {
      const failed = await updated(
        m,
        `UPDATE run SET status = 'FAILED', "finishedAt" = now(), "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
           stalls = stalls + 1,
           error = 'its runner stopped answering ' || (stalls + 1) || ' times in a row without storing an epoch (process killed or out of memory?); last on ' || "leaseOwner"
         WHERE status = 'RUNNING' AND "leaseExpiresAt" < now() AND stalls + 1 >= $1`,
        [maxAttempts],
      );
      const requeued = await updated(
        m,
        `UPDATE run SET status = 'QUEUED', "leaseOwner" = NULL, "leaseExpiresAt" = NULL, stalls = stalls + 1
         WHERE status = 'RUNNING' AND "leaseExpiresAt" < now()`,
        [],
      );
      return { requeued, failed };
    });
    const orphans = await failOrphanedFineTuning(this.ds);
    await publishStatus(this.pubsub, [...requeued, ...failed, ...orphans]);
    return { requeued, failed, orphans };
  }

  /** Gives a run back to the queue (graceful shutdown) and publishes it: it resumes from its last checkpoint elsewhere. */
  async release(runId: string, owner: string): Promise<Run | null> {
    const back = await fenced(this.ds, `status = 'QUEUED', "leaseOwner" = NULL, "leaseExpiresAt" = NULL, attempts = GREATEST(attempts - 1, 0)`, [runId, owner]);
    if (back) await publishStatus(this.pubsub, [back]);
    return back;
  }

  /**
   * After its worker thread died (crash, out of memory): counts the death as a stall (like a lost lease, reset by every
   * stored epoch) and queues the run again unless that makes `maxAttempts` stalls in a row, so a run that kills its
   * worker every time fails while one that dies now and then after progress still finishes. Answers the row as updated
   * (QUEUED and published, or still RUNNING and ours, for the caller to fail) or null when the run is not ours any more.
   */
  async requeueAfterDeath(runId: string, owner: string, maxAttempts: number): Promise<Run | null> {
    const after = await fenced(
      this.ds,
      `stalls = stalls + 1,
       status = CASE WHEN stalls + 1 < $3 THEN 'QUEUED' ELSE status END,
       "leaseOwner" = CASE WHEN stalls + 1 < $3 THEN NULL ELSE "leaseOwner" END,
       "leaseExpiresAt" = CASE WHEN stalls + 1 < $3 THEN NULL ELSE "leaseExpiresAt" END`,
      [runId, owner, maxAttempts],
    );
    if (after?.status === RunStatus.QUEUED) await publishStatus(this.pubsub, [after]);
    return after;
  }

  /** Clears the lease of a run that was cancelled while this owner ran it (the status stays CANCELLED, so not FENCE). */
  async dropLease(runId: string, owner: string): Promise<void> {
    await updated(this.ds, `UPDATE run SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL WHERE id = $1 AND "leaseOwner" = $2`, [runId, owner]);
  }
}

/**
 * QUEUED fine-tuning runs whose pretraining run FAILED or was CANCELLED can never start: they fail, naming the
 * reason. Run inside the transaction that finishes the pretraining run (and by every runner's poll, as a backstop).
 */
export async function failOrphanedFineTuning(db: Db, pretrainRunId?: string): Promise<Run[]> {
  return updated(
    db,
    `UPDATE run f SET status = 'FAILED', "finishedAt" = now(),
       error = 'pretraining run ' || p.id || ' ' || lower(p.status) || COALESCE(': ' || p.error, '')
     FROM run p
     WHERE f."pretrainRunId" = p.id AND f.status = 'QUEUED' AND p.status IN ('FAILED', 'CANCELLED')
       AND ($1::uuid IS NULL OR p.id = $1::uuid)`,
    [pretrainRunId ?? null],
    'f.*',
  );
}
