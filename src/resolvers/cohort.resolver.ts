import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Cohort } from '../schema/cohort.entity';
import { Role, Split } from '../schema/enums';
import { Contrast, SubjectConnection } from '../schema/types';
import type { Context } from './context';
import { ImportCohortInput, SyntheticCohortInput } from './types/cohort.input';

@Resolver(() => Cohort)
export class CohortResolver {
  @Authorized()
  @Query(() => [Cohort])
  cohorts(@Ctx() ctx: Context): Promise<Cohort[]> {
    return ctx.services.cohorts.list();
  }

  @Authorized()
  @Query(() => Cohort, { nullable: true })
  cohort(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Cohort | null> {
    return ctx.services.cohorts.get(id);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Cohort, { description: 'name, subjects (79), seed, size, slices' })
  createSyntheticCohort(@Arg('input', () => SyntheticCohortInput) input: SyntheticCohortInput, @Ctx() ctx: Context): Promise<Cohort> {
    return ctx.services.cohorts.createSynthetic(input);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Cohort, { description: 'NIfTI directory under the import root' })
  importCohort(@Arg('input', () => ImportCohortInput) input: ImportCohortInput, @Ctx() ctx: Context): Promise<Cohort> {
    return ctx.services.cohorts.importCohort(input);
  }

  @FieldResolver(() => [Contrast])
  contrasts(@Root() cohort: Cohort): Contrast[] {
    return cohort.contrasts.map((c) => ({ kind: c.kind, channels: c.channels, protocol: c.protocol, cohortId: cohort.id }));
  }

  @FieldResolver(() => Int)
  subjectCount(@Root() cohort: Cohort, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.subjectCount.load(cohort.id);
  }

  @FieldResolver(() => SubjectConnection)
  subjects(
    @Root() cohort: Cohort,
    @Ctx() ctx: Context,
    @Arg('split', () => Split, { nullable: true }) split?: Split,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<SubjectConnection> {
    return ctx.services.cohorts.subjectsPage(cohort.id, split, first, after);
  }
}

@Resolver(() => Contrast)
export class ContrastResolver {
  @FieldResolver(() => Int)
  async seriesCount(@Root() contrast: Contrast, @Ctx() ctx: Context): Promise<number> {
    return (await ctx.loaders.seriesCounts.load(contrast.cohortId)).get(contrast.kind) ?? 0;
  }
}
