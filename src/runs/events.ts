/**
 * RunProgress, the one event a run publishes (api.md): one per stored epoch and one per status change, always after
 * the change committed, so a subscriber never sees what the database does not have. Only src/runs publishes it.
 */
import type { Run } from '../schema/run.entity';
import type { RunProgress } from '../schema/types';
import { RunStatus } from '../schema/enums';
import { topics, type PubSub } from './pubsub';

/** The event of a run as stored; `phase` "queue" for a status change outside training. */
export function progressEvent(run: Run, phase = run.phase ?? 'queue'): RunProgress {
  return {
    runId: run.id,
    status: run.status,
    phase,
    epoch: run.epoch,
    epochs: run.epochs,
    metrics: [],
    at: new Date(),
    cohortId: run.cohortId,
    sweepId: run.sweepId,
  };
}

/** Every run event goes to its run's topic and to the all-runs topic. */
export async function publishRunProgress(pubsub: PubSub, event: RunProgress): Promise<void> {
  await Promise.all([pubsub.publish(topics.run(event.runId), event), pubsub.publish(topics.allRuns, event)]);
}

/**
 * Publishes the status changes of committed rows (queued, cancelled, requeued, failed, reclaimed). The runs are
 * distinct: their events go out together, in the order given (a cross-process PubSub sends them in one batch).
 */
export async function publishStatus(pubsub: PubSub, runs: Run[]): Promise<void> {
  await Promise.all(runs.map((r) => publishRunProgress(pubsub, progressEvent(r, r.status === RunStatus.QUEUED ? 'queue' : (r.phase ?? 'queue')))));
}
