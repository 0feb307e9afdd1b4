import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Cohort } from './cohort.entity';
import { Split, SubjectGroup } from './enums';

@Entity({ name: 'subject' })
@Index('UQ_subject_cohort_code', ['cohortId', 'code'], { unique: true })
@ObjectType()
export class Subject {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  @Column({ type: 'uuid' })
  cohortId: string;

  @ManyToOne(() => Cohort, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cohortId' })
  cohort?: Relation<Cohort>;

  @Column({ type: 'text' })
  @Field(() => String)
  code: string;

  @Column({ type: 'text' })
  @Field(() => SubjectGroup)
  group: SubjectGroup;

  @Column({ type: 'text' })
  @Field(() => Split)
  split: Split;
}
