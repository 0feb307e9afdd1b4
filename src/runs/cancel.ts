/**
 * Cancelling, the same for one run and for a sweep: QUEUED and RUNNING runs become CANCELLED in one transaction (a
 * RUNNING run's runner sees the status, by event or heartbeat, and stops within one batch; its metric points stay),
 * and the queued CLC fine-tuning runs of a cancelled PRETRAIN run fail at once, naming it. Events follow the commit.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { isFinishedStatus } from '../api/run-status';
import { conflict, isUuid, notFound } from '../errors';
import { RunKind, RunStatus } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { publishStatus } from './events';
import { updated } from './fenced';
import type { PubSub } from './pubsub';
import { failOrphanedFineTuning } from './queue';

/** CANCELLED for those of `ids` still QUEUED or RUNNING; answers them and the fine-tuning runs that failed with them. */
async function cancelOpen(m: EntityManager, ids: string[]): Promise<{ cancelled: Run[]; orphans: Run[] }> {
  const cancelled = await updated(
    m,
    `UPDATE run SET status = 'CANCELLED', "finishedAt" = now(), "leaseExpiresAt" = NULL
     WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING')`,
    [ids],
  );
  const orphans: Run[] = [];
  for (const r of cancelled) if (r.kind === RunKind.PRETRAIN) orphans.push(...(await failOrphanedFineTuning(m, r.id)));
  return { cancelled, orphans };
}

/** Cancels a QUEUED or RUNNING run; NOT_FOUND for an unknown id, CONFLICT for a finished run. */
export async function cancelRun(ds: DataSource, pubsub: PubSub, id: string): Promise<Run> {
  const { cancelled, orphans } = await ds.transaction(async (m) => {
    const current = isUuid(id) ? await m.getRepository(Run).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!current) throw notFound('run', id);
    if (isFinishedStatus(current.status)) {
      throw conflict(`run ${id} is already ${current.status}: only QUEUED or RUNNING runs can be cancelled`);
    }
    return cancelOpen(m, [id]);
  });
  await publishStatus(pubsub, [...cancelled, ...orphans]);
  return cancelled[0];
}

/** Cancels every QUEUED or RUNNING run of a sweep (finished ones stay); CONFLICT when none is left. */
export async function cancelSweepRuns(ds: DataSource, pubsub: PubSub, sweep: { id: string; name: string }): Promise<Run[]> {
  const { cancelled, orphans } = await ds.transaction(async (m) => {
    const open = await m.getRepository(Run).find({
      where: { sweepId: sweep.id, status: In([RunStatus.QUEUED, RunStatus.RUNNING]) },
      lock: { mode: 'pessimistic_write' },
    });
    if (!open.length) throw conflict(`sweep ${sweep.name} has no QUEUED or RUNNING run left to cancel`);
    return cancelOpen(
      m,
      open.map((r) => r.id),
    );
  });
  await publishStatus(pubsub, [...cancelled, ...orphans]);
  return cancelled;
}
