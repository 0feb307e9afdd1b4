import { Field, ID, InputType } from 'type-graphql';
import { ContrastKind, RunKind, RunStatus } from '../../schema/enums';

@InputType({ description: 'Every given field must match' })
export class RunFilter {
  @Field(() => RunStatus, { nullable: true })
  status?: RunStatus;

  @Field(() => RunKind, { nullable: true })
  kind?: RunKind;

  @Field(() => ContrastKind, { nullable: true })
  contrast?: ContrastKind;

  @Field(() => ID, { nullable: true })
  cohortId?: string;

  @Field(() => ID, { nullable: true })
  sweepId?: string;
}
