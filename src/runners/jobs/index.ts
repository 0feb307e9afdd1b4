/**
 * The jobs a runner slot executes inside its worker thread, by run kind (the seam is src/runs/job.ts): the host calls
 * `runJob(spec, io)` and turns the JobResult (or the error: JobCancelledError = CANCELLED, anything else = FAILED
 * with its message) into the run's final state.
 */
import type { Job, JobIO, JobKind, JobResult, JobSpec } from '../../runs/job';
import { finetuneJob } from './finetune';
import { pretrainJob } from './pretrain';

const JOBS: Record<JobKind, Job> = {
  PRETRAIN: pretrainJob,
  FINETUNE: finetuneJob,
};

export function runJob(spec: JobSpec, io: JobIO): Promise<JobResult> {
  const job = JOBS[spec.kind];
  if (!job) return Promise.reject(new Error(`no job for run kind ${String(spec.kind)}`));
  return job(spec, io);
}
