import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Run } from './run.entity';
import { Subject } from './subject.entity';

/** Test-set evaluation of a finished FINETUNE run (one per run). GraphQL shape in types.ts (Evaluation). */
@Entity({ name: 'evaluation' })
export class EvaluationRecord {
  @PrimaryColumn({ type: 'uuid' })
  runId: string;

  @OneToOne(() => Run, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  run?: Relation<Run>;

  @Column({ type: 'float8' })
  meanDiceRight: number;

  @Column({ type: 'float8' })
  meanDiceLeft: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/** Dice and kidney volumes of one test subject under one run. */
@Entity({ name: 'subject_score' })
export class SubjectScoreRecord {
  @PrimaryColumn({ type: 'uuid' })
  runId: string;

  @ManyToOne(() => EvaluationRecord, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  evaluation?: Relation<EvaluationRecord>;

  @PrimaryColumn({ type: 'uuid' })
  subjectId: string;

  @ManyToOne(() => Subject, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subjectId' })
  subject?: Relation<Subject>;

  @Column({ type: 'float8' })
  diceRight: number;

  @Column({ type: 'float8' })
  diceLeft: number;

  /** Dice at the training resolution (prediction vs the mask resampled to image.size); null for older evaluations. */
  @Column({ type: 'float8', nullable: true })
  trainingSizeDiceRight: number | null;

  @Column({ type: 'float8', nullable: true })
  trainingSizeDiceLeft: number | null;

  @Column({ type: 'float8' })
  volumeRightMl: number;

  @Column({ type: 'float8' })
  volumeLeftMl: number;

  @Column({ type: 'float8' })
  trueVolumeRightMl: number;

  @Column({ type: 'float8' })
  trueVolumeLeftMl: number;

  /** The predicted label map (encodeMask, series size) in the blob store, for the NIfTI export and overlays. */
  @Column({ type: 'text', nullable: true })
  predictionBlobKey: string | null;
}
