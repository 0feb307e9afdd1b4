import { Field, InputType, Int } from 'type-graphql';
import { ContrastKind } from '../../schema/enums';

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

  @Field(() => [ChannelMappingInput], {
    nullable: true,
    description:
      "nnU-Net datasets (a dataset.json in the directory): which channel_names make which contrast, e.g. [{contrast: DIXON}] for all of them; not needed for nephron's own export",
  })
  channelMapping?: ChannelMappingInput[] | null;
}

@InputType({ description: 'Channels of an nnU-Net dataset that make one contrast' })
export class ChannelMappingInput {
  @Field(() => ContrastKind)
  contrast: ContrastKind;

  @Field(() => [String], { nullable: true, description: 'channel_names keys ("0", "1", …), in order; omitted: every channel' })
  channels?: string[] | null;
}
