import { Field, ID, InputType, Int } from 'type-graphql';
import { ContrastKind, Initialization, Preset } from '../../schema/enums';
import { JSONScalar } from '../../schema/scalars';

@InputType()
export class PretrainingInput {
  @Field(() => ID)
  cohortId: string;

  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Field(() => Preset, {
    defaultValue: Preset.QUICK,
    description: "PAPER (GPU), STUDY (sees CLC's effect; a faster machine), QUICK (2-core CPU), SMOKE (seconds)",
  })
  preset: Preset;

  @Field(() => Int, { defaultValue: 0 })
  seed: number;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'merged into the preset, e.g. {"clc": {"epochs": 5}}; an unknown key or a wrong type is BAD_USER_INPUT',
  })
  overrides?: Record<string, unknown>;
}

@InputType()
export class FineTuningInput extends PretrainingInput {
  @Field(() => Initialization)
  initialization: Initialization;

  @Field(() => ID, { nullable: true, description: 'the PRETRAIN run to start from (CLC only; same cohort and contrast)' })
  pretrainRunId?: string;

  @Field(() => Int, { description: "labelled training subjects (1 … the cohort's training split)" })
  nLabeled: number;
}
