/**
 * What a runner writes about the run it holds, each write one transaction fenced on the lease (./fenced.ts), then
 * published as RunProgress once committed: so a subscriber never sees an epoch the database does not have, and a
 * runner that lost its run (cancelled, lease taken over) changes nothing.
 */
import type { DataSource } from 'typeorm';
import { RunKind } from '../schema/enums';
import { EvaluationRecord, SubjectScoreRecord } from '../schema/evaluation.entity';
import { Run } from '../schema/run.entity';
import { epochWriter } from './epoch-writer';
import { progressEvent, publishRunProgress } from './events';
import { fenced } from './fenced';
import type { EpochReport, JobResult } from './job';
import { finiteMetrics, rebuildSummaries } from './metric-writes';
import type { PubSub } from './pubsub';
import { failOrphanedFineTuning } from './queue';

/** The run is no longer this runner's: cancelled, or its lease was taken over. */
export class RunNotHeldError extends Error {
  constructor(runId: string) {
    super(`run ${runId} is no longer held by this runner (cancelled, or its lease expired)`);
    this.name = 'RunNotHeldError';
  }
}

export class RunRecorder {
  constructor(
    private readonly ds: DataSource,
    private readonly pubsub: PubSub,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /**
   * Stores an epoch (checkpoint keys, progress, metric points; the lease is renewed too), then publishes it.
   * Answers the checkpoint blobs this epoch superseded and no run refers to any more: a run keeps its last, the one
   * before it (where a resume restarts when the last is corrupt, src/runners/checkpoints.ts) and its best checkpoint (each
   * holds the weights and both Adam moments, megabytes a time); a checkpoint goes once superseded twice.
   */
  async epochEnd(runId: string, report: EpochReport, at = new Date()): Promise<{ run: Run; superseded: string[] }> {
    // one statement, shared with the epochs other runs of this process end meanwhile (./epoch-writer.ts)
    const written = await epochWriter(this.ds).write({ runId, owner: this.owner, leaseMs: this.leaseMs, report, at });
    if (!written) throw new RunNotHeldError(runId);
    const run = Object.assign(new Run(), written.row);
    const { names, numbers } = finiteMetrics(report.metrics);
    const metrics = names.map((name, i) => ({ name, value: numbers[i] }));
    await publishRunProgress(this.pubsub, { ...progressEvent(run, report.phase), metrics, at });
    return { run, superseded: written.superseded };
  }

  /**
   * Rewinds the run to the checkpoint it resumes from (src/runners/checkpoints.ts chose it), fenced on the lease.
   * Keeping the last checkpoint keeps the previous one too; resuming from the previous one leaves none before it.
   * Metric points after the epoch go (normally none: an epoch's points and its checkpoint are written in one
   * statement) and the summaries are computed again, so the epochs trained again write exactly one point per metric.
   */
  async rewind(runId: string, to: { epoch: number; key: string | null; keptLast: boolean }): Promise<void> {
    await this.ds.transaction(async (m) => {
      const held = await fenced(
        m,
        `epoch = $3, "checkpointBlobKey" = $4,
         "previousCheckpointBlobKey" = CASE WHEN $5 THEN "previousCheckpointBlobKey" END,
         "previousCheckpointEpoch" = CASE WHEN $5 THEN "previousCheckpointEpoch" END`,
        [runId, this.owner, to.epoch, to.key, to.keptLast],
      );
      if (!held) throw new RunNotHeldError(runId);
      const dropped: unknown[] = await m.query(`WITH d AS (DELETE FROM metric_point WHERE "runId" = $1 AND epoch > $2 RETURNING 1) SELECT 1 FROM d LIMIT 1`, [
        runId,
        to.epoch,
      ]);
      if (dropped.length) await rebuildSummaries(m, runId);
    });
  }

  /** A phase begins (no event: api.md has one per epoch and one per status change). */
  async phase(runId: string, name: string, epochs: number): Promise<void> {
    await this.ds.transaction((m) => fenced(m, `phase = $3, epochs = $4`, [runId, this.owner, name, epochs]));
  }

  /** The job finished: SUCCEEDED with its weights, and for FINETUNE the test-set evaluation. */
  async succeed(runId: string, result: JobResult): Promise<Run | null> {
    const run = await this.ds.transaction(async (m) => {
      const row = await fenced(
        m,
        `status = 'SUCCEEDED', "finishedAt" = now(), device = $3, "weightsBlobKey" = $4, "leaseOwner" = NULL, "leaseExpiresAt" = NULL, error = NULL`,
        [runId, this.owner, result.device, result.finalWeightsKey],
      );
      if (!row) return null;
      if (row.kind === RunKind.FINETUNE) {
        const subjects = result.evaluation ?? [];
        if (!subjects.length) throw new Error(`fine-tuning run ${runId} finished without an evaluation on the TEST subjects`);
        const mean = (f: (s: (typeof subjects)[number]) => number) => subjects.reduce((a, s) => a + f(s), 0) / subjects.length;
        await m.getRepository(EvaluationRecord).insert({ runId, meanDiceRight: mean((s) => s.dice.right), meanDiceLeft: mean((s) => s.dice.left) });
        await m.getRepository(SubjectScoreRecord).insert(
          subjects.map((s) => ({
            runId,
            subjectId: s.subjectId,
            diceRight: s.dice.right,
            diceLeft: s.dice.left,
            trainingSizeDiceRight: s.trainingSizeDice?.right ?? null,
            trainingSizeDiceLeft: s.trainingSizeDice?.left ?? null,
            volumeRightMl: s.volumeMl.right,
            volumeLeftMl: s.volumeMl.left,
            trueVolumeRightMl: s.trueVolumeMl.right,
            trueVolumeLeftMl: s.trueVolumeMl.left,
            predictionBlobKey: s.predictionBlobKey,
          })),
        );
      }
      return row;
    });
    if (run) await publishRunProgress(this.pubsub, progressEvent(run, run.phase ?? 'done'));
    return run;
  }

  /** FAILED with a readable error; a failed PRETRAIN fails its queued CLC fine-tuning runs in the same transaction. */
  async fail(runId: string, error: string): Promise<Run | null> {
    const text = error.length > 2000 ? `${error.slice(0, 1997)}...` : error;
    const { run, orphans } = await this.ds.transaction(async (m) => {
      const row = await fenced(m, `status = 'FAILED', "finishedAt" = now(), error = $3, "leaseOwner" = NULL, "leaseExpiresAt" = NULL`, [
        runId,
        this.owner,
        text,
      ]);
      return { run: row, orphans: row?.kind === RunKind.PRETRAIN ? await failOrphanedFineTuning(m, runId) : [] };
    });
    for (const r of run ? [run, ...orphans] : []) await publishRunProgress(this.pubsub, progressEvent(r, r.phase ?? 'queue'));
    return run;
  }
}
