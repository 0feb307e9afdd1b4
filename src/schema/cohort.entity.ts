import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { ContrastKind } from './enums';
import { DateTimeScalar } from './scalars';

/** One contrast of a cohort as stored in `cohort.contrasts` (jsonb). */
export interface StoredContrast {
  kind: ContrastKind;
  /** Channel names, e.g. "TE=10ms", "b=800". */
  channels: string[];
  /** Acquisition parameters (TE, TI, b-values, matrix, spacing, orientation). */
  protocol: Record<string, unknown>;
}

@Entity({ name: 'cohort' })
@ObjectType({ description: 'A set of subjects with their MRI series (synthetic phantom or imported NIfTI)' })
export class Cohort {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  @Column({ type: 'text', unique: true })
  @Field(() => String)
  name: string;

  /** "synthetic" or the import directory (relative to the import root). */
  @Column({ type: 'text' })
  @Field(() => String)
  source: string;

  /** A hash over the cohort's data, stored with every run for reproducibility. */
  @Column({ type: 'text' })
  @Field(() => String)
  fingerprint: string;

  @CreateDateColumn({ type: 'timestamptz' })
  @Field(() => DateTimeScalar)
  createdAt: Date;

  /** Per-contrast channels and protocol; the GraphQL `contrasts` field adds seriesCount. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  contrasts: StoredContrast[];
}
