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

@ObjectType({ description: '[lo, hi] per kidney' })
export class KidneyInterval {
  @Field(() => [Float])
  right: [number, number];

  @Field(() => [Float])
  left: [number, number];
}

@ObjectType()
export class InitIntervals {
  @Field(() => KidneyInterval, { nullable: true })
  random: KidneyInterval | null;

  @Field(() => KidneyInterval, { nullable: true })
  clc: KidneyInterval | null;
}

@ObjectType()
export class InitPairs {
  @Field(() => KidneyPair, { nullable: true })
  random: KidneyPair | null;

  @Field(() => KidneyPair, { nullable: true })
  clc: KidneyPair | null;
}

@ObjectType()
export class InitCounts {
  @Field(() => Int)
  random: number;

  @Field(() => Int)
  clc: number;
}

@ObjectType({ description: 'What a Dice difference is read against, per contrast (issue 13)' })
export class ContrastBaselines {
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Field(() => Int, { nullable: true, description: 'the training size the baselines are computed at' })
  trainingSize: number | null;

  @Field(() => Float, { nullable: true, description: 'manual masks through the training resolution and back, mean over TEST subjects and kidneys' })
  ceilingDice: number | null;

  @Field(() => Float, { nullable: true, description: 'label by position alone, learnt from the TRAIN masks, on the TEST subjects' })
  locationPriorDice: number | null;

  @Field(() => Float, { nullable: true, description: "SD over RANDOM's seeds of a run's mean test Dice, pooled over N" })
  riSeedSd: number | null;
}

@ObjectType()
export class LabelEfficiencyRow {
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Field(() => Int)
  nLabeled: number;

  @Field(() => KidneyPair, { nullable: true, description: 'mean Dice over test subjects (and seeds)' })
  random: KidneyPair | null;

  @Field(() => KidneyPair, { nullable: true })
  clc: KidneyPair | null;

  @Field(() => KidneyPair, { nullable: true, description: 'paired t-test, Bonferroni-corrected' })
  pValue: KidneyPair | null;

  @Field(() => Boolean)
  significant: boolean;

  @Field(() => InitIntervals, { description: '95% bootstrap CI of each mean over TEST subjects (seeds averaged within a subject)' })
  ci95: InitIntervals;

  @Field(() => InitPairs, { description: "the same means at the training resolution (Table 2 is at the series' own)" })
  trainingSize: InitPairs;

  @Field(() => InitCounts, { description: 'distinct seeds behind each mean' })
  seeds: InitCounts;

  @Field(() => InitCounts, { description: 'TEST subjects behind each mean' })
  subjects: InitCounts;
}

@ObjectType()
export class AnnotationReduction {
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Field(() => Int)
  referenceN: number;

  @Field(() => Float, { nullable: true, description: "RANDOM's isotonic mean Dice at the reference N" })
  referenceDice: number | null;

  @Field(() => Float, { nullable: true, description: "where CLC's isotonic curve reaches it, interpolated in log N; null: not reached" })
  matchingN: number | null;

  @Field(() => Float, { nullable: true, description: '1 − matchingN / referenceN' })
  reduction: number | null;

  @Field(() => [Float], { nullable: 'items', description: '95% bootstrap CI over TEST subjects; a null bound: CLC did not reach the target in more than 2.5% of resamples' })
  ci95: [number | null, number | null];
}

@ObjectType()
export class LabelEfficiency {
  @Field(() => [LabelEfficiencyRow])
  rows: LabelEfficiencyRow[];

  @Field(() => [AnnotationReduction])
  reductions: AnnotationReduction[];

  @Field(() => [ContrastBaselines])
  baselines: ContrastBaselines[];
}

@ObjectType()
export class BlandAltmanPoint {
  @Field(() => Subject)
  subject: Subject;

  @Field(() => Float)
  mean: number;

  @Field(() => Float)
  difference: number;
}

@ObjectType()
export class BlandAltman {
  @Field(() => Float)
  bias: number;

  @Field(() => Float)
  lower: number;

  @Field(() => Float)
  upper: number;

  @Field(() => [BlandAltmanPoint])
  points: BlandAltmanPoint[];
}

/**
 * One event per finished epoch, plus one per status change. Published on the PubSub (src/runs/pubsub.ts);
 * `cohortId` and `sweepId` travel with it for the runEvents filters but are not GraphQL fields.
 */
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
