import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Cohort } from './cohort.entity';
import { ContrastKind, Initialization, Preset, RunKind, RunStatus } from './enums';
import { DateTimeScalar, JSONScalar } from './scalars';
import { Sweep } from './sweep.entity';
import type { RunConfig } from '../ml/presets';

/**
 * A training run: PRETRAIN (CLC pretraining of the whole U-Net) or FINETUNE (segmentation on nLabeled subjects,
 * from random weights or from a PRETRAIN run). `config` is the fully resolved config (src/ml/presets.ts).
 * Relations (cohort, sweep, pretrainRun, metrics, evaluation) are GraphQL field resolvers with DataLoaders.
 */
@Entity({ name: 'run' })
@Index('IDX_run_sweep', ['sweepId'])
@Index('IDX_run_cohort', ['cohortId'])
@Index('IDX_run_status_seq', ['status', 'seq'])
@ObjectType()
export class Run {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  /** Creation order: the pagination key (newest first) and the queue order (oldest QUEUED first). */
  @Column({ type: 'int', unique: true })
  @Generated('increment')
  seq: number;

  @Column({ type: 'text' })
  @Field(() => RunKind)
  kind: RunKind;

  @Column({ type: 'text' })
  @Field(() => RunStatus)
  status: RunStatus;

  @Column({ type: 'uuid' })
  cohortId: string;

  @ManyToOne(() => Cohort, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cohortId' })
  cohort?: Relation<Cohort>;

  /** The cohort's fingerprint when the run was created (reproducibility). */
  @Column({ type: 'text' })
  cohortFingerprint: string;

  @Column({ type: 'text' })
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Column({ type: 'text', nullable: true })
  @Field(() => Initialization, { nullable: true, description: 'FINETUNE only' })
  initialization: Initialization | null;

  @Column({ type: 'uuid', nullable: true })
  pretrainRunId: string | null;

  @ManyToOne(() => Run, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'pretrainRunId' })
  pretrainRun?: Relation<Run> | null;

  @Column({ type: 'int', nullable: true })
  @Field(() => Int, { nullable: true, description: 'FINETUNE only' })
  nLabeled: number | null;

  @Column({ type: 'int' })
  @Field(() => Int)
  seed: number;

  @Column({ type: 'text' })
  @Field(() => Preset)
  preset: Preset;

  @Column({ type: 'jsonb' })
  @Field(() => JSONScalar, { description: 'the fully resolved hyper-parameters' })
  config: RunConfig;

  /** The user's overrides as given (config = preset + overrides). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  overrides: Record<string, unknown>;

  @Column({ type: 'uuid', nullable: true })
  sweepId: string | null;

  @ManyToOne(() => Sweep, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'sweepId' })
  sweep?: Relation<Sweep> | null;

  /** Current phase while running: "global", "clc", "finetune", "evaluate". */
  @Column({ type: 'text', nullable: true })
  phase: string | null;

  @Column({ type: 'int', default: 0 })
  @Field(() => Int)
  epoch: number;

  @Column({ type: 'int' })
  @Field(() => Int)
  epochs: number;

  @Column({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  device: string | null;

  @Column({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  error: string | null;

  /** Code version (package version + git commit when known) the run was created with. */
  @Column({ type: 'text', nullable: true })
  codeVersion: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  @Field(() => DateTimeScalar)
  queuedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt: Date | null;

  /** Runner lease: which worker holds the run and until when (the runners issue). */
  @Column({ type: 'text', nullable: true })
  leaseOwner: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  /** Blob keys of the latest checkpoint (resume) and of the best-validation checkpoint (evaluation). */
  @Column({ type: 'text', nullable: true })
  checkpointBlobKey: string | null;

  @Column({ type: 'text', nullable: true })
  bestCheckpointBlobKey: string | null;

  /** The checkpoint before the last one and its epoch: where a resume restarts when the last one is corrupt. */
  @Column({ type: 'text', nullable: true })
  previousCheckpointBlobKey: string | null;

  @Column({ type: 'int', nullable: true })
  previousCheckpointEpoch: number | null;

  /** The weights a SUCCEEDED run delivers: a PRETRAIN's are where CLC fine-tuning starts, a FINETUNE's the evaluated ones. */
  @Column({ type: 'text', nullable: true })
  weightsBlobKey: string | null;

  /** Times a runner claimed the run; a run whose runner keeps dying fails after a few (src/runs/queue.ts). */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** Runners lost in a row without the run storing an epoch; maxAttempts of them fail the run (src/runs/queue.ts). */
  @Column({ type: 'int', default: 0 })
  stalls: number;
}
