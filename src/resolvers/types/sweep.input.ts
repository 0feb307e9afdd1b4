import { Field, ID, InputType, Int } from 'type-graphql';
import { ContrastKind, Initialization, Preset } from '../../schema/enums';
import { JSONScalar } from '../../schema/scalars';

@InputType({ description: 'contrasts × nLabeled × initializations × seeds; CLC adds one PRETRAIN run per (contrast, seed)' })
export class SweepInput {
  @Field(() => String)
  name: string;

  @Field(() => ID)
  cohortId: string;

  @Field(() => [ContrastKind])
  contrasts: ContrastKind[];

  @Field(() => [Int])
  nLabeled: number[];

  @Field(() => [Initialization])
  initializations: Initialization[];

  @Field(() => [Int], { defaultValue: [0] })
  seeds: number[];

  @Field(() => Preset, { defaultValue: Preset.QUICK })
  preset: Preset;

  @Field(() => JSONScalar, { nullable: true, description: 'overrides for the PRETRAIN runs' })
  pretrainOverrides?: Record<string, unknown>;

  @Field(() => JSONScalar, { nullable: true, description: 'overrides for the FINETUNE runs' })
  finetuneOverrides?: Record<string, unknown>;
}
