/**
 * The runner host of one process: NEPHRON_RUNNERS slots (./slot.ts), each claiming runs from the queue
 * (src/runs/queue.ts), running them in its worker thread and recording what they report (src/runs/recorder.ts).
 *
 * Timing: a slot claims when the host wakes up: on every `pollMs` tick, and at once when an event says a run may
 * have become runnable (QUEUED, or a pretraining run SUCCEEDED). Each tick also re-queues runs whose lease expired
 * (their process died) and fails fine-tuning runs whose pretraining failed. A heartbeat every leaseMs / 4 renews
 * the leases held here; a CANCELLED status (event or heartbeat) or a lost lease aborts the job within one batch.
 * stop(): no new claims, running jobs are aborted and given back to the queue (they resume from their last
 * checkpoint), workers are terminated, the superseded checkpoints still queued for deletion are deleted.
 *
 * Faults: before a job starts, its resume checkpoint is verified (./checkpoints.ts: a corrupt one rewinds the run to
 * the checkpoint before it). A worker thread that dies (process.exit, uncaught exception, out of memory) queues its
 * run again to resume from its last checkpoint, counting the claim as an attempt; the slot starts a fresh worker.
 * A blob store without space fails the run naming the full disk (retrying on the same disk would only loop).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type { Logger } from 'pino';
import { BlobStoreFullError } from '../data/blob-store';
import { threadsPerSlot } from '../ml/threads';
import { RunStatus } from '../schema/enums';
import type { RunProgress } from '../schema/types';
import { isTransientDbError } from '../db/transient';
import { RunQueue, RunRecorder, topics, type EpochReport } from '../runs';
import { CheckpointDeleter } from './checkpoint-deleter';
import { resumePoint } from './checkpoints';
import type { Execution } from './execution';
import { DEFAULT_MAX_ATTEMPTS, type RunnerHostOptions } from './host-options';
import { finalState, type FinalStateDeps } from './final-state';
import { retryingFor, retryTransient } from './retry';
import { Slot, type JobOutcome } from './slot';
import { buildJobSpec } from './spec';

export type { RunnerHostOptions };

/**
 * 'settled' (runId, how): the host is done with a run ('succeeded' | 'failed' | 'cancelled' | 'lost' | 'released' |
 * 'requeued'). 'died' (runId, error): its worker died and the run is queued again. 'started' (runId, { attempt,
 * resumeFrom }): a job begins, after the epoch resumeFrom (null: from scratch). 'recovered' (runId, message): a run's
 * resume checkpoint was unusable and it restarts from an earlier one.
 */
export class RunnerHost extends EventEmitter {
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private slots: Slot[];
  private readonly executions = new Map<Slot, Execution>();
  private readonly queue: RunQueue;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private timers: NodeJS.Timeout[] = [];
  private events: AsyncIterableIterator<RunProgress> | null = null;
  private stopping = false;
  private ticking: Promise<void> | null = null;
  private again = false;
  private readonly settled = new Set<Promise<void>>();
  /** Superseded checkpoints, deleted off the epochs' path. */
  private readonly deleter: CheckpointDeleter;

  constructor(private readonly options: RunnerHostOptions) {
    super();
    this.queue = new RunQueue(options.dataSource, options.pubsub);
    this.deleter = new CheckpointDeleter(options.dataSource, options.blobs, options.log);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 2_000;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    // Intra-op threads per slot: NEPHRON_THREADS (else the cores but one, left to the main thread's event loop: API,
    // database, events) shared among the slots (../ml/threads.ts).
    const threads = options.threads ?? threadsPerSlot(options.slots);
    this.slots = Array.from(
      { length: options.slots },
      (_, i) => new Slot(i, { jobModule: options.jobModule, threads, heapMb: options.workerHeapMb, adapter: i }),
    );
  }

  /**
   * Starts every worker (rejects when a backend cannot start), then begins claiming. The first worker tells the
   * backend: on webgpu there is one slot per GPU adapter, so the slots beyond the adapter count are not started.
   */
  async start(): Promise<void> {
    const first = this.slots[0];
    await first.start();
    if (first.backend === 'webgpu' && first.adapters !== null && first.adapters < this.slots.length) {
      this.options.log.info({ asked: this.slots.length, adapters: first.adapters }, 'webgpu: one runner slot per GPU adapter');
      this.slots.length = first.adapters;
    }
    const devices = await Promise.all(this.slots.map((s) => s.start()));
    this.options.log.info({ runner: this.id, slots: this.slots.length, devices, leaseMs: this.leaseMs }, 'runners started');
    this.events = this.options.pubsub.subscribe<RunProgress>(topics.allRuns);
    void this.watch(this.events);
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.pollMs, () => this.wake());
    every(Math.max(100, Math.floor(this.leaseMs / 4)), () => void this.heartbeat());
    this.wake();
  }

  /** Events: wake up for newly runnable runs, abort the jobs of cancelled runs at once. */
  private async watch(events: AsyncIterableIterator<RunProgress>): Promise<void> {
    for await (const e of events) {
      if (e.status === RunStatus.QUEUED || e.status === RunStatus.SUCCEEDED) this.wake();
      if (e.status === RunStatus.CANCELLED) {
        for (const [slot, execution] of this.executions) {
          if (execution.run.id === e.runId && !execution.stopReason) {
            execution.stopReason = 'cancelled';
            slot.abort('run cancelled');
          }
        }
      }
    }
  }

  /** Runs a tick now, or right after the one in progress. */
  wake(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((e: Error) => {
        // an outage is expected to pass (the next tick tries again): a warning, not an error per tick
        if (isTransientDbError(e)) this.options.log.warn({ err: e.message }, 'runner tick skipped: database unavailable');
        else this.options.log.error({ err: e.message }, 'runner tick failed');
      })
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async tick(): Promise<void> {
    const { requeued, failed } = await this.queue.reclaimExpired(this.maxAttempts);
    for (const r of requeued) this.options.log.warn({ runId: r.id }, 'run lost its runner (lease expired): queued again, it resumes from its checkpoint');
    for (const r of failed) this.options.log.error({ runId: r.id, error: r.error }, 'run lost its runner (lease expired) too often without progress: failed');
    for (const slot of this.slots) {
      if (this.stopping || slot.busy || this.executions.has(slot)) continue;
      const owner = `${this.id}:${slot.index}`;
      const claimedAt = Date.now();
      const run = await this.queue.claim(owner, this.leaseMs, slot.device || null);
      if (!run) break;
      const execution: Execution = { run, owner, stopReason: null, failure: null, leaseUntil: claimedAt + this.leaseMs };
      this.executions.set(slot, execution);
      const done = this.execute(slot, execution)
        .catch((e: Error) => this.options.log.error({ runId: run.id, err: e.message }, 'runner could not record the end of a run'))
        .finally(() => {
          this.executions.delete(slot);
          this.settled.delete(done);
          this.wake();
        });
      this.settled.add(done);
    }
  }

  private async execute(slot: Slot, execution: Execution): Promise<void> {
    const { run, owner } = execution;
    const log = this.options.log.child({ runId: run.id, kind: run.kind, slot: slot.index });
    const recorder = new RunRecorder(this.options.dataSource, this.options.pubsub, owner, this.leaseMs);
    let outcome: JobOutcome;
    try {
      const point = await resumePoint(recorder, this.options.blobs, run);
      if (point.recovered) {
        log.warn({ resumeFrom: point.key ? point.epoch : null }, `checkpoint unusable: ${point.recovered}`);
        this.emit('recovered', run.id, point.recovered);
      }
      log.info({ attempt: run.attempts, resumeFrom: point.key ? point.epoch : null }, 'run started');
      this.emit('started', run.id, { attempt: run.attempts, resumeFrom: point.key ? point.epoch : null });
      const spec = await buildJobSpec(this.options.dataSource, run, point.key);
      // the job reads its checkpoint first: hand it the bytes just verified instead of reading them again
      let verified = point.bytes;
      const getBlob = async (key: string) => {
        const bytes = key === point.key ? verified : null;
        verified = null;
        return bytes ?? this.options.blobs.get(key);
      };
      // stopped (shutdown, cancel) while the spec was read: do not start the job at all
      if (execution.stopReason) return await this.settle(execution, recorder, { kind: 'failed', error: 'stopped before it started', cancelled: true }, log);
      // the database may be away for a while (restart, failover): what the job stores waits for it, lease permitting
      outcome = await slot.run(
        spec,
        retryingFor(execution, log, this, {
          getBlob,
          putBlob: (bytes) => this.options.blobs.put(bytes).catch((e: Error) => this.storeFailed(execution, e)),
          // verified on lookup (a corrupt cache entry is a miss and gets rebuilt); the job reads the bytes much later, so
          // they are not kept: one extra read per constraint map per pretraining run
          findNamed: async (name) => (await this.options.blobAliases.read(name))?.key ?? null,
          putNamed: (name, bytes) => this.options.blobAliases.put(name, bytes).catch((e: Error) => this.storeFailed(execution, e)),
          epochEnd: (report) => this.epochEnd(slot, execution, recorder, report),
          phase: (name, epochs) => void recorder.phase(run.id, name, epochs).catch((e: Error) => log.warn({ err: e.message }, 'phase not recorded')),
          log: (message) => log.info(message),
        }),
      );
    } catch (e) {
      // the database went away before the job started: the run goes back to the queue (finalState), no fault of its own
      if (isTransientDbError(e) && !execution.stopReason) execution.stopReason = 'lost';
      outcome = { kind: 'failed', error: (e as Error).message, cancelled: false };
    }
    await this.settle(execution, recorder, outcome, log);
  }

  /** A full disk fails the run with a message that says so (the job's own error would name only the call). */
  private storeFailed(execution: Execution, e: Error): never {
    if (e instanceof BlobStoreFullError && !execution.failure) {
      execution.failure = `the blob store is full (no space left on device): a ${e.bytes}-byte blob of this run could not be stored, so it stopped at its last stored epoch. Free disk space, then start the run again`;
      this.options.log.error({ runId: execution.run.id, where: e.where, bytes: e.bytes }, 'blob store full: run fails');
    }
    throw e;
  }

  private async epochEnd(slot: Slot, execution: Execution, recorder: RunRecorder, report: EpochReport): Promise<void> {
    const bad = Object.entries(report.metrics).find(([name, v]) => /loss/.test(name) && !Number.isFinite(v));
    if (bad) {
      execution.failure = `${bad[0]} is ${bad[1]} at epoch ${report.epoch} (${report.phase}): training diverged; try a lower learning rate`;
      slot.abort('failed');
      throw new Error(execution.failure);
    }
    const { superseded } = await recorder.epochEnd(execution.run.id, report);
    this.deleter.add(execution.run.id, superseded);
  }

  /** Turns the job's outcome into the run's final state; the database says whether the run is still ours. */
  private async settle(execution: Execution, recorder: RunRecorder, outcome: JobOutcome, log: Logger): Promise<void> {
    // every step of finalState is fenced on the lease, so redoing it after a dropped connection is safe
    const deps: FinalStateDeps = {
      queue: this.queue,
      leaseMs: this.leaseMs,
      maxAttempts: this.maxAttempts,
      onDied: (error) => this.emit('died', execution.run.id, error),
    };
    const how = await retryTransient(() => finalState(deps, execution, recorder, outcome, log), {
      deadline: () => execution.leaseUntil,
      onRetry: (err) => this.emit('retry', execution.run.id, 'settle', err.message),
    });
    // a settled run keeps no superseded checkpoint: its last epochs' deletes are done (off the epochs' path, not off this one)
    await this.deleter.drain();
    this.emit('settled', execution.run.id, how);
  }

  private async heartbeat(): Promise<void> {
    for (const [slot, execution] of this.executions) {
      if (execution.stopReason) continue;
      try {
        const sentAt = Date.now();
        const state = await this.queue.renew(execution.run.id, execution.owner, this.leaseMs);
        if (state === 'held') execution.leaseUntil = Math.max(execution.leaseUntil, sentAt + this.leaseMs);
        if (state !== 'held' && !execution.stopReason) {
          execution.stopReason = state;
          slot.abort(state === 'cancelled' ? 'run cancelled' : 'lease lost');
        }
      } catch (e) {
        this.options.log.warn({ runId: execution.run.id, err: (e as Error).message }, 'heartbeat failed');
      }
    }
  }

  /** The device of each slot, once started (`wasm-simd-1t`, `webgpu:0 …`): one slot per GPU adapter on webgpu. */
  devices(): string[] {
    return this.slots.map((s) => s.device);
  }

  /** Graceful stop: no new claims; running jobs stop and go back to the queue; workers end. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.ticking;
    for (const [slot, execution] of this.executions) {
      execution.stopReason = 'shutdown';
      slot.abort('shutdown');
    }
    const grace = new Promise<'late'>((r) => setTimeout(() => r('late'), this.options.stopGraceMs ?? 6_000).unref());
    if ((await Promise.race([Promise.all(this.settled), grace])) === 'late') {
      this.options.log.warn('jobs did not stop in time: terminating their workers');
      await Promise.all(this.slots.map((s) => s.terminate()));
      await Promise.all(this.settled);
    }
    await this.events?.return?.();
    await Promise.all(this.slots.map((s) => s.terminate()));
    // the last epochs' superseded checkpoints, before the caller closes the database
    await this.deleter.drain();
    this.options.log.info({ runner: this.id }, 'runners stopped');
  }
}
