import { Field, InputType, Int } from 'type-graphql';

@InputType()
export class SyntheticCohortInput {
  @Field(() => String)
  name: string;

  @Field(() => Int, { defaultValue: 79 })
  subjects: number;

  @Field(() => Int, { defaultValue: 0 })
  seed: number;

  @Field(() => Int, { nullable: true, description: 'in-plane size (default of the generator: 128)' })
  size?: number;

  @Field(() => Int, { nullable: true, description: 'slices per series (default of the generator)' })
  slices?: number;
}

@InputType()
export class ImportCohortInput {
  @Field(() => String)
  name: string;

  @Field(() => String, { description: 'a NIfTI directory, relative to NEPHRON_IMPORT_ROOT' })
  path: string;
}
