/** GraphQL object types that are not tables (api.md). */
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ApiToken } from './api-token.entity';
import { MetricPoint } from './metric.entity';
import { ContrastKind, Role, RunStatus } from './enums';
import { Run } from './run.entity';
import { DateTimeScalar, JSONScalar } from './scalars';
import { Subject } from './subject.entity';

@ObjectType({ description: 'A value per kidney (patient right and left)' })
export class KidneyPair {
  @Field(() => Float)
  right: number;

  @Field(() => Float)
  left: number;
}

@ObjectType()
export class Contrast {
  @Field(() => ContrastKind)
  kind: ContrastKind;

  @Field(() => [String], { description: 'e.g. "TE=10ms", "b=800"' })
  channels: string[];

  @Field(() => JSONScalar, { description: 'acquisition parameters (TE, TI, b-values, matrix, spacing)' })
  protocol: Record<string, unknown>;

  /** Resolved by the Contrast resolver from this cohort id. */
  cohortId: string;
}

@ObjectType()
export class MetricValue {
  @Field(() => String)
  name: string;

  @Field(() => Float)
  value: number;
}

@ObjectType()
export class MetricSeries {
  @Field(() => String)
  name: string;

  /** Loaded on demand (only when the query selects `points`). */
  @Field(() => [MetricPoint])
  points: MetricPoint[];

  @Field(() => Float, { nullable: true })
  last: number | null;

  @Field(() => Float, { nullable: true })
  min: number | null;

  @Field(() => Float, { nullable: true })
  max: number | null;
}

@ObjectType()
export class SubjectScore {
  @Field(() => Subject)
  subject: Subject;

  @Field(() => KidneyPair, { description: "Dice at the series' own resolution (the prediction resampled back)" })
  dice: KidneyPair;

  @Field(() => KidneyPair, { nullable: true, description: 'Dice at the training resolution (null for evaluations stored before it was recorded)' })
  trainingSizeDice: KidneyPair | null;

  @Field(() => KidneyPair)
  volumeMl: KidneyPair;

  @Field(() => KidneyPair)
  trueVolumeMl: KidneyPair;
}

@ObjectType()
export class Evaluation {
  @Field(() => KidneyPair)
  meanDice: KidneyPair;

  @Field(() => [SubjectScore])
  subjects: SubjectScore[];
}

@ObjectType()
export class RunProgress {
  @Field(() => ID)
  runId: string;

  @Field(() => RunStatus)
  status: RunStatus;

  @Field(() => String, { description: 'e.g. "global", "clc", "finetune", "evaluate"; "queue" for status changes outside training' })
  phase: string;

  @Field(() => Int)
  epoch: number;

  @Field(() => Int)
  epochs: number;

  @Field(() => [MetricValue])
  metrics: MetricValue[];

  @Field(() => DateTimeScalar)
  at: Date;

  cohortId: string;
  sweepId: string | null;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => Boolean)
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ObjectType()
export class RunEdge {
  @Field(() => Run)
  node: Run;

  @Field(() => String)
  cursor: string;
}

@ObjectType()
export class RunConnection {
  @Field(() => [RunEdge])
  edges: RunEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Resolved lazily (only when selected) by the connection resolver. */
  countTotal: () => Promise<number>;
}

@ObjectType()
export class SubjectEdge {
  @Field(() => Subject)
  node: Subject;

  @Field(() => String)
  cursor: string;
}

@ObjectType()
export class SubjectConnection {
  @Field(() => [SubjectEdge])
  edges: SubjectEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  countTotal: () => Promise<number>;
}

@ObjectType({ description: 'A new API token: the secret is shown here once and never again' })
export class CreatedToken {
  @Field(() => String)
  token: string;

  @Field(() => ApiToken)
  apiToken: ApiToken;
}

export { Role };

/** Who is calling: clients hide what the role may not do (a VIEWER sees no launch or cancel). */
@ObjectType()
export class Viewer {
  @Field(() => Role)
  role: Role;

  @Field(() => ID, { nullable: true, description: 'the API token in use; null for a local caller without tokens' })
  tokenId: string | null;
}
