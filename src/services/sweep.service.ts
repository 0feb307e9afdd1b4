import { In, type DataSource } from 'typeorm';
import { FINISHED_STATUSES } from '../api/run-status';
import { badInput, isUuid, notFound } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import { ContrastKind, Initialization, Preset, RunKind, RunStatus, Split } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { Subject } from '../schema/subject.entity';
import { Sweep } from '../schema/sweep.entity';
import { cancelSweepRuns, queueingTransaction, type PubSub } from '../runs';
import { requireContrast, requireSeed, resolveOrBadInput, type RunService } from './run.service';

export interface SweepRequest {
  name: string;
  cohortId: string;
  contrasts: ContrastKind[];
  nLabeled: number[];
  initializations: Initialization[];
  seeds: number[];
  preset: Preset;
  pretrainOverrides?: unknown;
  finetuneOverrides?: unknown;
}

export interface SweepStats {
  total: number;
  done: number;
  status: RunStatus;
}

/**
 * A sweep's status from its runs' statuses: RUNNING while any run runs or some finished and some wait; QUEUED
 * when none started; otherwise finished: SUCCEEDED if all succeeded, else FAILED if any failed, else CANCELLED.
 */
export function sweepStatus(counts: Partial<Record<RunStatus, number>>): RunStatus {
  const n = (s: RunStatus) => counts[s] ?? 0;
  const finished = finishedCount(counts);
  if (n(RunStatus.RUNNING) > 0) return RunStatus.RUNNING;
  if (n(RunStatus.QUEUED) > 0) return finished > 0 ? RunStatus.RUNNING : RunStatus.QUEUED;
  if (n(RunStatus.FAILED) > 0) return RunStatus.FAILED;
  if (n(RunStatus.CANCELLED) > 0) return RunStatus.CANCELLED;
  return RunStatus.SUCCEEDED;
}

/** Runs in a finished status (src/api/run-status.ts). */
function finishedCount(counts: Partial<Record<RunStatus, number>>): number {
  return FINISHED_STATUSES.reduce((sum, s) => sum + (counts[s as RunStatus] ?? 0), 0);
}

function requireList<T>(values: T[], field: string, what: string): void {
  if (!values.length) throw badInput(`${field} is empty: give at least one ${what}`, field);
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw badInput(`${field} lists ${String(v)} twice`, field);
    seen.add(v);
  }
}

export class SweepService {
  constructor(
    private readonly ds: DataSource,
    private readonly pubsub: PubSub,
    private readonly runs: RunService,
  ) {}

  list(): Promise<Sweep[]> {
    return this.ds.getRepository(Sweep).find({ order: { createdAt: 'DESC' } });
  }

  async get(id: string): Promise<Sweep | null> {
    return isUuid(id) ? this.ds.getRepository(Sweep).findOneBy({ id }) : null;
  }

  byIds(ids: readonly string[]): Promise<Sweep[]> {
    return this.ds.getRepository(Sweep).findBy({ id: In(ids.filter(isUuid)) });
  }

  /** total/done/status of many sweeps in one statement. */
  async stats(sweepIds: readonly string[]): Promise<Map<string, SweepStats>> {
    const ids = sweepIds.filter(isUuid);
    const out = new Map<string, SweepStats>();
    if (!ids.length) return out;
    const rows: { sweepId: string; status: RunStatus; n: string }[] = await this.ds.query(
      `SELECT "sweepId", status, count(*) AS n FROM run WHERE "sweepId" = ANY($1::uuid[]) GROUP BY "sweepId", status`,
      [ids],
    );
    const counts = new Map<string, Partial<Record<RunStatus, number>>>();
    for (const r of rows) {
      if (!counts.has(r.sweepId)) counts.set(r.sweepId, {});
      counts.get(r.sweepId)![r.status] = Number(r.n);
    }
    for (const id of ids) {
      const c = counts.get(id) ?? {};
      const total = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
      const done = finishedCount(c);
      out.set(id, { total, done, status: sweepStatus(c) });
    }
    return out;
  }

  /**
   * Creates, in one transaction, a sweep with one PRETRAIN run per (contrast, seed) when CLC is asked for and one
   * FINETUNE run per (contrast, nLabeled, initialization, seed); CLC fine-tunes start from the PRETRAIN run of
   * their contrast and seed. Any invalid input creates nothing.
   */
  async start(input: SweepRequest): Promise<Sweep> {
    const name = input.name?.trim();
    if (!name) throw badInput('name must not be empty', 'input.name');
    requireList(input.contrasts, 'input.contrasts', 'contrast');
    requireList(input.nLabeled, 'input.nLabeled', 'number of labelled subjects');
    requireList(input.initializations, 'input.initializations', 'initialization');
    requireList(input.seeds, 'input.seeds', 'seed');
    input.seeds.forEach((s) => requireSeed(s, 'input.seeds'));
    const withClc = input.initializations.includes(Initialization.CLC);
    // configs resolve before anything is written: a bad override fails the whole sweep
    const pretrainConfig = withClc ? resolveOrBadInput(RunKind.PRETRAIN, input.preset, input.pretrainOverrides, 'input.pretrainOverrides') : undefined;
    if (!withClc && input.pretrainOverrides && Object.keys(input.pretrainOverrides as object).length) {
      throw badInput('pretrainOverrides given but no CLC initialization asks for pretraining', 'input.pretrainOverrides');
    }
    const finetuneConfig = resolveOrBadInput(RunKind.FINETUNE, input.preset, input.finetuneOverrides, 'input.finetuneOverrides');

    // its runs are published once the transaction committed, all at once and in the order created
    return queueingTransaction(this.ds, this.pubsub, async (tx) => {
      const m = tx.manager;
      const cohort = isUuid(input.cohortId) ? await m.getRepository(Cohort).findOneBy({ id: input.cohortId }) : null;
      if (!cohort) throw notFound('cohort', input.cohortId);
      input.contrasts.forEach((c) => requireContrast(cohort, c, 'input.contrasts'));
      const training = await m.getRepository(Subject).countBy({ cohortId: cohort.id, split: Split.TRAIN });
      for (const n of input.nLabeled) {
        if (!Number.isInteger(n) || n < 1 || n > training) {
          throw badInput(`nLabeled ${n} is outside 1..${training} (the training subjects of cohort ${cohort.name})`, 'input.nLabeled');
        }
      }
      const sweepRepo = m.getRepository(Sweep);
      const sweep = sweepRepo.create({ name, cohortId: cohort.id, spec: { ...input, name } as unknown as Record<string, unknown> });
      await sweepRepo.save(sweep);
      for (const contrast of input.contrasts) {
        for (const seed of input.seeds) {
          let pretrainRun: Run | undefined;
          if (withClc) {
            pretrainRun = await this.runs.createPretraining(
              tx,
              { cohortId: cohort.id, contrast, preset: input.preset, seed, overrides: input.pretrainOverrides },
              { field: 'input.pretrainOverrides', sweepId: sweep.id, cohort, config: pretrainConfig },
            );
          }
          for (const nLabeled of input.nLabeled) {
            for (const initialization of input.initializations) {
              await this.runs.createFineTuning(
                tx,
                {
                  cohortId: cohort.id,
                  contrast,
                  preset: input.preset,
                  seed,
                  overrides: input.finetuneOverrides,
                  initialization,
                  nLabeled,
                  pretrainRunId: initialization === Initialization.CLC ? pretrainRun!.id : null,
                },
                {
                  field: 'input.finetuneOverrides',
                  sweepId: sweep.id,
                  cohort,
                  config: finetuneConfig,
                  trainingSubjects: training,
                  pretrainRun: initialization === Initialization.CLC ? pretrainRun : undefined,
                },
              );
            }
          }
        }
      }
      return sweepRepo.findOneByOrFail({ id: sweep.id });
    });
  }

  /**
   * Cancels every QUEUED or RUNNING run of the sweep in one transaction (a running one stops within a batch, its
   * partial metrics kept); finished runs stay as they are. CONFLICT when nothing is left to cancel.
   */
  async cancel(id: string): Promise<Sweep> {
    const sweep = await this.get(id);
    if (!sweep) throw notFound('sweep', id);
    await cancelSweepRuns(this.ds, this.pubsub, sweep);
    return sweep;
  }
}
