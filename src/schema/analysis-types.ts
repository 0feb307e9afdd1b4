/** GraphQL object types of the study's analysis (api.md: labelEfficiency, blandAltman): not tables. */
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ContrastKind } from './enums';
import { Subject } from './subject.entity';
import { KidneyPair } from './types';

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

  @Field(() => [Float], {
    nullable: 'items',
    description: '95% bootstrap CI over TEST subjects; a null bound: CLC did not reach the target in more than 2.5% of resamples',
  })
  ci95: [number | null, number | null];

  @Field(() => Float, {
    nullable: true,
    description: "RANDOM's rise in mean Dice from its smallest N to the reference N (or the largest evaluated N below it)",
  })
  riRise: number | null;

  @Field(() => [Float], { nullable: 'items', description: "95% bootstrap CI of RANDOM's rise over TEST subjects" })
  riRiseCi95: [number | null, number | null];

  @Field(() => String, {
    nullable: true,
    description: "Why reduction is null although CLC's curve was matched: RANDOM's curve does not rise beyond its CI (the labels did not limit it)",
  })
  refusal: string | null;
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
