import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Cohort } from './cohort.entity';
import { ContrastKind } from './enums';
import { Subject } from './subject.entity';

/**
 * One contrast of one subject: a stack of 2D slices with several co-registered channels. The voxels live in the
 * blob store under `dataBlobKey` (sha256 of the bytes; layout of src/data/volume.ts), the mask under `maskBlobKey`.
 */
@Entity({ name: 'series' })
@Index('UQ_series_subject_contrast', ['subjectId', 'contrast'], { unique: true })
@Index('IDX_series_cohort_contrast', ['cohortId', 'contrast'])
@ObjectType()
export class Series {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  @Column({ type: 'uuid' })
  subjectId: string;

  @ManyToOne(() => Subject, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subjectId' })
  subject?: Relation<Subject>;

  /** Denormalised from the subject, so per-cohort counts need no join. */
  @Column({ type: 'uuid' })
  cohortId: string;

  @ManyToOne(() => Cohort, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cohortId' })
  cohort?: Relation<Cohort>;

  @Column({ type: 'text' })
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Column({ type: 'text', array: true })
  @Field(() => [String])
  channels: string[];

  @Column({ type: 'int' })
  @Field(() => Int)
  width: number;

  @Column({ type: 'int' })
  @Field(() => Int)
  height: number;

  @Column({ type: 'int' })
  @Field(() => Int)
  slices: number;

  /** Voxel size in mm: [x, y, slice]. */
  @Column({ type: 'float8', array: true })
  @Field(() => [Float])
  spacingMm: number[];

  /** Axis codes of the voxel axes (nibabel's aff2axcodes), e.g. "LIP" for the coronal phantom, "LPS" axial. */
  @Column({ type: 'text', default: 'RAS' })
  orientation: string;

  /** 4×4 voxel → RAS+ mm (rows) of the source, written back on export so viewers place the volume as imported. */
  @Column({ type: 'jsonb', nullable: true })
  affine: number[][] | null;

  /** Voxel type of the stored blob, e.g. "float32". */
  @Column({ type: 'text', default: 'float32' })
  dtype: string;

  /** sha256 hex of the voxel bytes in the blob store. */
  @Column({ type: 'text' })
  dataBlobKey: string;

  /** sha256 hex of the mask bytes (uint8 labels 0/1/2); null without a manual mask. */
  @Column({ type: 'text', nullable: true })
  maskBlobKey: string | null;

  /** Kidney volumes of the manual mask in mL; null without a mask. */
  @Column({ type: 'jsonb', nullable: true })
  kidneyVolumesMl: { right: number; left: number } | null;
}
