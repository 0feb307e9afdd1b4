import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role, RunStatus } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { Sweep } from '../schema/sweep.entity';
import { SubjectConnection } from '../schema/types';
import type { Context } from './context';
import { SweepInput } from './types/sweep.input';

@Resolver(() => Sweep)
export class SweepResolver {
  @Authorized()
  @Query(() => [Sweep], { description: 'newest first' })
  sweeps(@Ctx() ctx: Context): Promise<Sweep[]> {
    return ctx.services.sweeps.list();
  }

  @Authorized()
  @Query(() => Sweep, { nullable: true })
  sweep(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Sweep | null> {
    return ctx.services.sweeps.get(id);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Sweep, { description: 'contrasts × nLabeled × initializations × seeds, created in one transaction' })
  startSweep(@Arg('input', () => SweepInput) input: SweepInput, @Ctx() ctx: Context): Promise<Sweep> {
    return ctx.services.sweeps.start(input);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Sweep, { description: 'cancels every QUEUED or RUNNING run of the sweep; CONFLICT when none is left' })
  cancelSweep(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Sweep> {
    return ctx.services.sweeps.cancel(id);
  }

  @FieldResolver(() => RunStatus)
  async status(@Root() sweep: Sweep, @Ctx() ctx: Context): Promise<RunStatus> {
    return (await ctx.loaders.sweepStats.load(sweep.id)).status;
  }

  // not paginated: cost it as a sweep of 100 runs (a QUICK study has 45, PAPER 285), see src/server/limits.ts
  @FieldResolver(() => [Run], { complexity: ({ childComplexity }) => 1 + 100 * childComplexity })
  runs(@Root() sweep: Sweep, @Ctx() ctx: Context): Promise<Run[]> {
    return ctx.loaders.sweepRuns.load(sweep.id);
  }

  @FieldResolver(() => Int)
  async done(@Root() sweep: Sweep, @Ctx() ctx: Context): Promise<number> {
    return (await ctx.loaders.sweepStats.load(sweep.id)).done;
  }

  @FieldResolver(() => Int)
  async total(@Root() sweep: Sweep, @Ctx() ctx: Context): Promise<number> {
    return (await ctx.loaders.sweepStats.load(sweep.id)).total;
  }
}

@Resolver(() => SubjectConnection)
export class SubjectConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() connection: SubjectConnection): Promise<number> {
    return connection.countTotal();
  }
}
