import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Series } from '../schema/series.entity';
import { Subject } from '../schema/subject.entity';
import { KidneyPair } from '../schema/types';
import type { Context } from './context';

@Resolver(() => Subject)
export class SubjectResolver {
  @FieldResolver(() => [Series])
  series(@Root() subject: Subject, @Ctx() ctx: Context): Promise<Series[]> {
    return ctx.loaders.subjectSeries.load(subject.id);
  }
}

@Resolver(() => Series)
export class SeriesResolver {
  @FieldResolver(() => Boolean)
  hasMask(@Root() series: Series): boolean {
    return series.maskBlobKey !== null && series.maskBlobKey !== undefined;
  }

  @FieldResolver(() => KidneyPair, { nullable: true })
  kidneyVolumesMl(@Root() series: Series): KidneyPair | null {
    return series.kidneyVolumesMl ?? null;
  }
}
