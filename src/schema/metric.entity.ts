import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Run } from './run.entity';
import { DateTimeScalar } from './scalars';

/**
 * One value of one metric at one epoch. The primary key (runId, name, epoch) makes re-sending a point idempotent
 * and is the index for "metric points by run + name + epoch".
 */
@Entity({ name: 'metric_point' })
@ObjectType()
export class MetricPoint {
  @PrimaryColumn({ type: 'uuid' })
  runId: string;

  @ManyToOne(() => Run, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  run?: Relation<Run>;

  @PrimaryColumn({ type: 'text' })
  name: string;

  @PrimaryColumn({ type: 'int' })
  @Field(() => Int)
  epoch: number;

  @Column({ type: 'float8' })
  @Field(() => Float)
  value: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  @Field(() => DateTimeScalar)
  at: Date;
}

/**
 * Per (run, metric): last/min/max/count, maintained with every recorded point (MetricsService.record), so the
 * dashboard's `metrics { last }` reads one row per series instead of every point.
 */
@Entity({ name: 'metric_summary' })
export class MetricSummary {
  @PrimaryColumn({ type: 'uuid' })
  runId: string;

  @ManyToOne(() => Run, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  run?: Relation<Run>;

  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'int' })
  lastEpoch: number;

  @Column({ type: 'float8' })
  last: number;

  @Column({ type: 'float8' })
  min: number;

  @Column({ type: 'float8' })
  max: number;

  @Column({ type: 'int' })
  count: number;
}
