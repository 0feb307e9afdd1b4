/**
 * What becomes of a run when its job ends, the host's last word on it: SUCCEEDED with its result; back to the queue
 * (shutdown, the database away until the lease ran out, a worker that died with attempts left); CANCELLED; FAILED
 * with its reason; or left alone when the lease is someone else's. Every step is fenced on the lease, so the host
 * may redo it after a dropped connection (RunnerHost.settle). Answers how it settled, for the host's 'settled' event.
 */
import type { Logger } from 'pino';
import { isTransientDbError } from '../db/transient';
import type { RunQueue, RunRecorder } from '../runs';
import type { Execution } from './execution';
import type { JobOutcome } from './slot';

export interface FinalStateDeps {
  /** Publishes the status changes it makes (release, requeue after a death). */
  queue: RunQueue;
  leaseMs: number;
  maxAttempts: number;
  /** A worker died and the run was queued again (the host emits 'died'). */
  onDied(error: string): void;
}

export async function finalState(deps: FinalStateDeps, execution: Execution, recorder: RunRecorder, outcome: JobOutcome, log: Logger): Promise<string> {
  const { run, owner } = execution;
  if (outcome.kind === 'done' && !execution.failure) {
    try {
      if (await recorder.succeed(run.id, outcome.result)) {
        log.info('run succeeded');
        return 'succeeded';
      }
    } catch (e) {
      if (isTransientDbError(e)) throw e; // settle() tries again once the database is back
      outcome = { kind: 'failed', error: `recording the result failed: ${(e as Error).message}`, cancelled: false };
    }
  }
  if (execution.stopReason === 'lost') {
    // the database was unavailable until the lease ran out (or the run is someone else's): give it back if still ours
    const back = await deps.queue.release(run.id, owner);
    log.warn(back ? 'run given back to the queue (database unavailable)' : 'run is no longer ours (lease taken over): left as it is');
    return back ? 'released' : 'lost';
  }
  if (execution.stopReason === 'shutdown') {
    const back = await deps.queue.release(run.id, owner);
    // a partly trained epoch is dropped: the run resumes after the last finished one (README, Runners: Stop)
    log.info({ resumeFrom: back?.epoch ?? null }, 'run given back to the queue (shutdown)');
    return 'released';
  }
  const state = await deps.queue.renew(run.id, owner, deps.leaseMs);
  // worker deaths in a row without a stored epoch: the database's count (the claimed row is stale once epochs are stored)
  let deaths = 0;
  if (state === 'held' && outcome.kind === 'died' && !execution.failure) {
    const after = await deps.queue.requeueAfterDeath(run.id, owner, deps.maxAttempts);
    deaths = after?.stalls ?? 0;
    if (after?.status === 'QUEUED') {
      log.warn({ error: outcome.error, deaths, maxAttempts: deps.maxAttempts }, 'worker died: run queued again, it resumes from its last checkpoint');
      deps.onDied(outcome.error);
      return 'requeued';
    }
  }
  if (state === 'cancelled') {
    await deps.queue.dropLease(run.id, owner);
    log.info('run cancelled');
    return 'cancelled';
  }
  if (state === 'lost') {
    log.warn('run is no longer ours (lease taken over): left as it is');
    return 'lost';
  }
  const error =
    execution.failure ??
    (outcome.kind === 'done'
      ? 'the job finished but its run could not be marked SUCCEEDED'
      : outcome.kind === 'died'
        ? `${outcome.error} (attempt ${deaths} of ${deps.maxAttempts}: no retries left)`
        : outcome.error);
  await recorder.fail(run.id, error);
  log.warn({ error }, 'run failed');
  return 'failed';
}
