import { In, type DataSource, type EntityManager } from 'typeorm';
import type { PresetName, RunConfig } from '../ml/presets';
import { ConfigError, resolveConfig, totalEpochs } from '../ml/resolve-config';
import { badInput, isUuid, notFound } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import { ContrastKind, Initialization, Preset, RunKind, RunStatus, Split } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { Subject } from '../schema/subject.entity';
import type { RunConnection } from '../schema/types';
import { cancelRun, queueingTransaction, type PubSub, type QueueingTransaction } from '../runs';
import { codeVersion } from './version';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from './pagination';

export interface RunFilterInput {
  status?: RunStatus | null;
  kind?: RunKind | null;
  contrast?: ContrastKind | null;
  cohortId?: string | null;
  sweepId?: string | null;
}

export interface PretrainingRequest {
  cohortId: string;
  contrast: ContrastKind;
  preset: Preset;
  seed: number;
  overrides?: unknown;
}

export interface FineTuningRequest extends PretrainingRequest {
  initialization: Initialization;
  pretrainRunId?: string | null;
  nLabeled: number;
}

/** resolveConfig with its ConfigError turned into BAD_USER_INPUT naming the key under `field`. */
export function resolveOrBadInput(kind: RunKind, preset: Preset, overrides: unknown, field: string): RunConfig {
  try {
    return resolveConfig(kind, preset as PresetName, overrides ?? {});
  } catch (e) {
    if (e instanceof ConfigError) {
      const path = e.path === 'overrides' ? field : e.path === 'preset' ? 'input.preset' : `${field}.${e.path}`;
      throw badInput(`${field}: ${e.message}`, path);
    }
    throw e;
  }
}

export class RunService {
  constructor(
    private readonly ds: DataSource,
    private readonly pubsub: PubSub,
  ) {}

  async get(id: string): Promise<Run | null> {
    if (!isUuid(id)) return null;
    return this.ds.getRepository(Run).findOneBy({ id });
  }

  byIds(ids: readonly string[]): Promise<Run[]> {
    return this.ds.getRepository(Run).findBy({ id: In(ids.filter(isUuid)) });
  }

  bySweeps(sweepIds: readonly string[]): Promise<Run[]> {
    return this.ds.getRepository(Run).find({ where: { sweepId: In(sweepIds.filter(isUuid)) }, order: { seq: 'ASC' } });
  }

  /** Runs newest first, Relay-style: `first` (0..500, default 50) after an opaque cursor. */
  async list(filter: RunFilterInput | null | undefined, first?: number | null, after?: string | null): Promise<RunConnection> {
    const limit = pageSize(first);
    const afterKey = decodeCursor('run', after);
    const afterSeq = afterKey === undefined ? undefined : Number(afterKey);
    if (afterSeq !== undefined && !Number.isInteger(afterSeq)) throw badInput('after is not a run cursor from this API', 'after');
    const base = () => {
      const qb = this.ds.getRepository(Run).createQueryBuilder('r');
      if (filter?.status) qb.andWhere('r.status = :status', { status: filter.status });
      if (filter?.kind) qb.andWhere('r.kind = :kind', { kind: filter.kind });
      if (filter?.contrast) qb.andWhere('r.contrast = :contrast', { contrast: filter.contrast });
      for (const key of ['cohortId', 'sweepId'] as const) {
        const id = filter?.[key];
        if (id === undefined || id === null) continue;
        // an id that is not a UUID matches nothing
        if (isUuid(id)) qb.andWhere(`r.${key} = :${key}`, { [key]: id });
        else qb.andWhere('false');
      }
      return qb;
    };
    const qb = base();
    if (afterSeq !== undefined) qb.andWhere('r.seq < :afterSeq', { afterSeq });
    const rows =
      limit === 0
        ? []
        : await qb
            .orderBy('r.seq', 'DESC')
            .take(limit + 1)
            .getMany();
    const nodes = rows.slice(0, limit);
    const cursor = (r: Run) => encodeCursor('run', r.seq);
    return {
      edges: nodes.map((node) => ({ node, cursor: cursor(node) })),
      pageInfo: pageInfo(nodes, rows.length > limit, afterSeq !== undefined, cursor),
      countTotal: () => base().getCount(),
    };
  }

  startPretraining(input: PretrainingRequest): Promise<Run> {
    return queueingTransaction(this.ds, this.pubsub, (tx) => this.createPretraining(tx, input, { field: 'input.overrides' }));
  }

  startFineTuning(input: FineTuningRequest): Promise<Run> {
    return queueingTransaction(this.ds, this.pubsub, (tx) => this.createFineTuning(tx, input, { field: 'input.overrides' }));
  }

  /** Validates and queues a PRETRAIN run inside the caller's queueing transaction (published once it committed). */
  async createPretraining(
    tx: QueueingTransaction,
    input: PretrainingRequest,
    opts: { field: string; sweepId?: string; cohort?: Cohort; config?: RunConfig },
  ): Promise<Run> {
    const cohort = opts.cohort ?? (await requireCohort(tx.manager, input.cohortId));
    requireContrast(cohort, input.contrast, 'input.contrast');
    requireSeed(input.seed, 'input.seed');
    const config = opts.config ?? resolveOrBadInput(RunKind.PRETRAIN, input.preset, input.overrides, opts.field);
    return this.queueRun(tx, {
      kind: RunKind.PRETRAIN,
      cohort,
      contrast: input.contrast,
      preset: input.preset,
      seed: input.seed,
      config,
      overrides: input.overrides,
      sweepId: opts.sweepId ?? null,
    });
  }

  /** Validates and queues a FINETUNE run inside the caller's queueing transaction (published once it committed). */
  async createFineTuning(
    tx: QueueingTransaction,
    input: FineTuningRequest,
    opts: { field: string; sweepId?: string; cohort?: Cohort; config?: RunConfig; trainingSubjects?: number; pretrainRun?: Run },
  ): Promise<Run> {
    const cohort = opts.cohort ?? (await requireCohort(tx.manager, input.cohortId));
    requireContrast(cohort, input.contrast, 'input.contrast');
    requireSeed(input.seed, 'input.seed');
    const training = opts.trainingSubjects ?? (await tx.manager.getRepository(Subject).countBy({ cohortId: cohort.id, split: Split.TRAIN }));
    if (!Number.isInteger(input.nLabeled) || input.nLabeled < 1 || input.nLabeled > training) {
      throw badInput(`nLabeled must be between 1 and the ${training} training subjects of cohort ${cohort.name}, got ${input.nLabeled}`, 'input.nLabeled');
    }
    let pretrainRunId: string | null = null;
    if (input.initialization === Initialization.CLC) {
      const pretrain = opts.pretrainRun ?? (await this.requirePretrain(tx.manager, input.pretrainRunId, cohort, input.contrast));
      pretrainRunId = pretrain.id;
    } else if (input.pretrainRunId) {
      throw badInput('pretrainRunId is only for initialization CLC (RANDOM starts from random weights)', 'input.pretrainRunId');
    }
    const config = opts.config ?? resolveOrBadInput(RunKind.FINETUNE, input.preset, input.overrides, opts.field);
    return this.queueRun(tx, {
      kind: RunKind.FINETUNE,
      cohort,
      contrast: input.contrast,
      preset: input.preset,
      seed: input.seed,
      config,
      overrides: input.overrides,
      sweepId: opts.sweepId ?? null,
      initialization: input.initialization,
      pretrainRunId,
      nLabeled: input.nLabeled,
    });
  }

  private async requirePretrain(m: EntityManager, id: string | null | undefined, cohort: Cohort, contrast: ContrastKind): Promise<Run> {
    if (!id) throw badInput('initialization CLC needs pretrainRunId: the PRETRAIN run to start from', 'input.pretrainRunId');
    const run = isUuid(id) ? await m.getRepository(Run).findOneBy({ id }) : null;
    if (!run) throw notFound('run', id);
    if (run.kind !== RunKind.PRETRAIN) throw badInput(`run ${id} is a ${run.kind} run, not a PRETRAIN run`, 'input.pretrainRunId');
    if (run.cohortId !== cohort.id || run.contrast !== contrast) {
      throw badInput(`PRETRAIN run ${id} was trained on another cohort or contrast (${run.contrast})`, 'input.pretrainRunId');
    }
    if (run.status === RunStatus.FAILED || run.status === RunStatus.CANCELLED) {
      throw badInput(`PRETRAIN run ${id} is ${run.status}: it has no weights to start from`, 'input.pretrainRunId');
    }
    return run;
  }

  private queueRun(
    tx: QueueingTransaction,
    v: {
      kind: RunKind;
      cohort: Cohort;
      contrast: ContrastKind;
      preset: Preset;
      seed: number;
      config: RunConfig;
      overrides: unknown;
      sweepId: string | null;
      initialization?: Initialization;
      pretrainRunId?: string | null;
      nLabeled?: number;
    },
  ): Promise<Run> {
    return tx.enqueue({
      kind: v.kind,
      cohortId: v.cohort.id,
      cohortFingerprint: v.cohort.fingerprint,
      contrast: v.contrast,
      initialization: v.initialization ?? null,
      pretrainRunId: v.pretrainRunId ?? null,
      nLabeled: v.nLabeled ?? null,
      seed: v.seed,
      preset: v.preset,
      config: v.config,
      overrides: (v.overrides ?? {}) as Record<string, unknown>,
      sweepId: v.sweepId,
      epochs: totalEpochs(v.config),
      codeVersion: codeVersion(),
    });
  }

  /**
   * Cancels a QUEUED or RUNNING run (src/runs/cancel.ts: its runner stops within one batch; its metric points stay).
   * Cancelling a PRETRAIN run fails its queued CLC fine-tuning runs. A finished run is CONFLICT.
   */
  cancel(id: string): Promise<Run> {
    return cancelRun(this.ds, this.pubsub, id);
  }
}

async function requireCohort(m: EntityManager, id: string): Promise<Cohort> {
  const cohort = isUuid(id) ? await m.getRepository(Cohort).findOneBy({ id }) : null;
  if (!cohort) throw notFound('cohort', id);
  return cohort;
}

export function requireContrast(cohort: Cohort, contrast: ContrastKind, field: string): void {
  const kinds = cohort.contrasts.map((c) => c.kind);
  if (!kinds.includes(contrast)) {
    throw badInput(`cohort ${cohort.name} has no ${contrast} series (it has ${kinds.join(', ') || 'none'})`, field);
  }
}

export function requireSeed(seed: number, field: string): void {
  if (!Number.isInteger(seed) || seed < 0) throw badInput(`seed must be a non-negative integer, got ${seed}`, field);
}
