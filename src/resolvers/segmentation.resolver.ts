import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { Segmentation } from '../schema/segmentation.entity';
import { Series } from '../schema/series.entity';
import { KidneyPair } from '../schema/types';
import { maskUrl } from '../services/segmentation.service';
import type { Context } from './context';

@Resolver(() => Segmentation)
export class SegmentationResolver {
  @Authorized(Role.OPERATOR)
  @Mutation(() => Segmentation, {
    description:
      "Segments a stored series with a SUCCEEDED fine-tuning run's best weights and stores the prediction and its volumes on the series (replacing this run's earlier one)",
  })
  segmentSeries(@Arg('runId', () => ID) runId: string, @Arg('seriesId', () => ID) seriesId: string, @Ctx() ctx: Context): Promise<Segmentation> {
    return ctx.services.segmentations.segmentSeries(runId, seriesId);
  }

  @FieldResolver(() => Run)
  async run(@Root() s: Segmentation, @Ctx() ctx: Context): Promise<Run> {
    return (await ctx.loaders.run.load(s.runId))!;
  }

  @FieldResolver(() => KidneyPair, { description: 'kidney volumes of the prediction in mL (voxel count × voxel volume)' })
  volumesMl(@Root() s: Segmentation): KidneyPair {
    return { right: s.volumeRightMl, left: s.volumeLeftMl };
  }

  @FieldResolver(() => [Int], { description: 'width, height, slices of the scan (and of the mask)' })
  shape(@Root() s: Segmentation): number[] {
    return [s.width, s.height, s.slices];
  }

  @FieldResolver(() => String, { description: 'the mask as .nii.gz, relative to the server (same authentication)' })
  maskUrl(@Root() s: Segmentation): string {
    return maskUrl(s.id);
  }
}

@Resolver(() => Series)
export class SeriesPredictionsResolver {
  @FieldResolver(() => [Segmentation], { description: 'predictions stored by segmentSeries, newest first' })
  predictions(@Root() series: Series, @Ctx() ctx: Context): Promise<Segmentation[]> {
    return ctx.loaders.seriesSegmentations.load(series.id);
  }
}
