import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Run } from './run.entity';
import { Series } from './series.entity';
import { DateTimeScalar } from './scalars';

/**
 * A fine-tuning run's label map of one scan, made after training (src/services/segmentation.service.ts): either a
 * stored series (`segmentSeries`, one row per series and run, replaced when asked again) or a NIfTI sent to
 * POST /api/runs/:id/segment with `Accept: application/json` (seriesId null). The mask is an encoded mask blob
 * (src/data/encoding.ts) on the scan's own grid; width … affine are that grid, so the NIfTI can be written back.
 */
@Entity({ name: 'segmentation' })
@Index('IDX_segmentation_series', ['seriesId'])
@Index('IDX_segmentation_run', ['runId'])
@ObjectType({ description: "A run's predicted kidney labels (0/1/2) for one scan, and the kidney volumes they give" })
export class Segmentation {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  @Column({ type: 'uuid' })
  runId: string;

  @ManyToOne(() => Run, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  run?: Relation<Run>;

  /** The stored series segmented; null for an uploaded scan. */
  @Column({ type: 'uuid', nullable: true })
  seriesId: string | null;

  @ManyToOne(() => Series, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'seriesId' })
  series?: Relation<Series> | null;

  @Column({ type: 'int' })
  width: number;

  @Column({ type: 'int' })
  height: number;

  @Column({ type: 'int' })
  slices: number;

  @Column({ type: 'float8', array: true })
  spacingMm: number[];

  /** 4×4 voxel → RAS+ mm (rows) of the scan. */
  @Column({ type: 'jsonb' })
  affine: number[][];

  @Column({ type: 'text' })
  maskBlobKey: string;

  @Column({ type: 'float8' })
  volumeRightMl: number;

  @Column({ type: 'float8' })
  volumeLeftMl: number;

  @CreateDateColumn({ type: 'timestamptz' })
  @Field(() => DateTimeScalar)
  createdAt: Date;
}
