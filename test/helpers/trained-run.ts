/**
 * A small SUCCEEDED fine-tuning run for tests that use a trained model: a 6-subject 32² synthetic cohort and a
 * SMOKE FINETUNE run from random weights on 2 labelled subjects, trained by the test server's runner (NEPHRON_RUNNERS=1).
 */
import type { TestServer } from './server';

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { status } }`;

export interface TrainedRun {
  cohortId: string;
  runId: string;
}

/** `options.cohortId`: train on that cohort instead of a new one; `options.input`: more FineTuningInput fields (seed, overrides). */
export async function trainSmokeRun(t: TestServer, token?: string, options: { cohortId?: string; input?: Record<string, unknown> } = {}): Promise<TrainedRun> {
  const cohort = { subjects: 6, seed: 3, size: 32, slices: 6 };
  const cohortId =
    options.cohortId ??
    (await t.ok(`mutation($i: SyntheticCohortInput!) { createSyntheticCohort(input: $i) { id } }`, { i: { name: `trained-${cohort.seed}`, ...cohort } }, token))
      .createSyntheticCohort.id;
  const ws = await t.ws(token);
  const input = { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 1, initialization: 'RANDOM', nLabeled: 2, ...options.input };
  const run = (await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, { i: input }, token)).startFineTuning;
  const sub = ws.subscribe(PROGRESS, { id: run.id });
  // the run may have finished before the subscription started: the query settles that
  const now = (await t.ok(`query($id: ID!) { run(id: $id) { status } }`, { id: run.id }, token)).run.status;
  const status = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(now)
    ? now
    : (await sub.waitForNext((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runProgress.status))).runProgress.status;
  sub.unsubscribe();
  if (status !== 'SUCCEEDED') throw new Error(`the SMOKE run ended ${status}`);
  return { cohortId, runId: run.id };
}
