import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import { Role } from '../schema/enums';
import { Run } from '../schema/run.entity';
import { Sweep } from '../schema/sweep.entity';
import { Evaluation, MetricSeries, RunConnection } from '../schema/types';
import { MetricsService } from '../services/metrics.service';
import type { Context } from './context';
import { selects } from './selection';
import { RunFilter } from './types/run-filter.input';
import { FineTuningInput, PretrainingInput } from './types/run.input';

@Resolver(() => Run)
export class RunResolver {
  @Authorized()
  @Query(() => RunConnection, { description: 'newest first; first: 0..500 (default 50)' })
  runs(
    @Ctx() ctx: Context,
    @Arg('filter', () => RunFilter, { nullable: true }) filter?: RunFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<RunConnection> {
    return ctx.services.runs.list(filter, first, after);
  }

  @Authorized()
  @Query(() => Run, { nullable: true })
  run(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Run | null> {
    return ctx.services.runs.get(id);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Run, { description: 'a QUEUED PRETRAIN run with its fully resolved config' })
  startPretraining(@Arg('input', () => PretrainingInput) input: PretrainingInput, @Ctx() ctx: Context): Promise<Run> {
    return ctx.services.runs.startPretraining(input);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Run, { description: 'a QUEUED FINETUNE run (CLC needs the pretrainRunId of a PRETRAIN run on the same cohort and contrast)' })
  startFineTuning(@Arg('input', () => FineTuningInput) input: FineTuningInput, @Ctx() ctx: Context): Promise<Run> {
    return ctx.services.runs.startFineTuning(input);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Run, { description: 'cancels a QUEUED or RUNNING run; CONFLICT on a finished one' })
  cancelRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Run> {
    return ctx.services.runs.cancel(id);
  }

  @FieldResolver(() => Cohort)
  async cohort(@Root() run: Run, @Ctx() ctx: Context): Promise<Cohort> {
    return (await ctx.loaders.cohort.load(run.cohortId))!;
  }

  @FieldResolver(() => Sweep, { nullable: true })
  sweep(@Root() run: Run, @Ctx() ctx: Context): Promise<Sweep | null> | null {
    return run.sweepId ? ctx.loaders.sweep.load(run.sweepId) : null;
  }

  @FieldResolver(() => Run, { nullable: true, description: 'FINETUNE from CLC only' })
  pretrainRun(@Root() run: Run, @Ctx() ctx: Context): Promise<Run | null> | null {
    return run.pretrainRunId ? ctx.loaders.run.load(run.pretrainRunId) : null;
  }

  @FieldResolver(() => [MetricSeries], { description: 'maxPoints downsamples (min/max kept)' })
  async metrics(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('names', () => [String], { nullable: true }) names?: string[],
    @Arg('maxPoints', () => Int, { nullable: true }) maxPoints?: number,
  ): Promise<MetricSeries[]> {
    if (maxPoints !== undefined && maxPoints !== null && (!Number.isInteger(maxPoints) || maxPoints < 2)) {
      throw badInput(`maxPoints must be at least 2, got ${maxPoints}`, 'maxPoints');
    }
    const wanted = names ? [...new Set(names)].sort() : null;
    if (selects(info, 'points')) {
      // downsampled in the database. From 4 points on, the rule keeps the first, the last and the global minimum and
      // maximum, so last/min/max over the points are exact; below 4 they come from the summaries (every point)
      const m = maxPoints ?? null;
      const [rows, summaries] = await Promise.all([
        ctx.loaders.metricPoints.load({ runId: run.id, names: wanted, maxPoints: m }),
        m !== null && m < 4 ? ctx.loaders.metricSummaries.load(run.id) : null,
      ]);
      const series = MetricsService.seriesFromPoints(rows);
      if (!summaries) return series;
      const byName = new Map(summaries.map((x) => [x.name, x]));
      return series.map((x) => {
        const sum = byName.get(x.name);
        return sum ? { ...x, last: sum.last, min: sum.min, max: sum.max } : x;
      });
    }
    // last/min/max only: one summary row per series, no points read
    const summaries = await ctx.loaders.metricSummaries.load(run.id);
    return summaries.filter((s) => !wanted || wanted.includes(s.name)).map((s) => ({ name: s.name, points: [], last: s.last, min: s.min, max: s.max }));
  }

  @FieldResolver(() => Evaluation, { nullable: true, description: 'FINETUNE, once SUCCEEDED' })
  evaluation(@Root() run: Run, @Ctx() ctx: Context): Promise<Evaluation | null> {
    return ctx.loaders.evaluation.load(run.id);
  }
}

@Resolver(() => RunConnection)
export class RunConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() connection: RunConnection): Promise<number> {
    return connection.countTotal();
  }
}
