import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Cohort } from './cohort.entity';

/** A grid of runs: contrasts × nLabeled × initializations × seeds. Status, done and total come from its runs. */
@Entity({ name: 'sweep' })
@ObjectType()
export class Sweep {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field(() => String)
  name: string;

  @Column({ type: 'uuid' })
  cohortId: string;

  @ManyToOne(() => Cohort, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cohortId' })
  cohort?: Relation<Cohort>;

  /** The SweepInput as given. */
  @Column({ type: 'jsonb' })
  spec: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
