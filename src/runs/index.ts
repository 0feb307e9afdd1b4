/**
 * src/runs: the one owner of run state and its events. Everything that writes a run's status (or its lease, epoch,
 * checkpoints and metric points) and everything that publishes RunProgress is here; services, resolvers and runners
 * call it, and it imports none of them. The rule, held by .dependency-cruiser.cjs and eslint.config.mjs: nothing
 * outside src/runs writes the run table, and outside code reaches src/runs through this file (jobs in worker threads
 * import the job contract, ./job.ts, alone, so a worker loads no database code).
 *
 * - ./queue.ts       enqueue (a queueing transaction), claim with a lease, heartbeat, reclaim, release, orphaned
 *                    fine-tuning runs
 * - ./fenced.ts      the lease fence every runner write goes through
 * - ./recorder.ts    what a runner writes about the run it holds: epochs, phases, rewinds, success, failure
 * - ./epoch-writer.ts  the epoch write, group-committed across the runs of a process
 * - ./metric-writes.ts the metric points and summaries
 * - ./cancel.ts      one cancel for a run and for a sweep
 * - ./events.ts      RunProgress, published after commit by the function that wrote the change, never exported
 *                    from here; ./pubsub.ts and ./pubsub-pg.ts carry it
 * - ./job.ts         the contract between the runner host and the jobs of the worker threads
 */
export { cancelRun, cancelSweepRuns } from './cancel';
export { runBlobKeys } from './epoch-writer';
export type { Db } from './fenced';
export type { EpochReport, JobIO, JobResult, JobSpec, JobSplit, JobSubject, SubjectEvaluation } from './job';
export { recordMetrics } from './metric-writes';
export { InProcessPubSub, ObservedPubSub, topics, type PubSub, type TokenEvent } from './pubsub';
export { createPubSub } from './pubsub-pg';
export { queueingTransaction, RunQueue, type LeaseState, type NewRun, type QueueingTransaction } from './queue';
export { RunNotHeldError, RunRecorder } from './recorder';
