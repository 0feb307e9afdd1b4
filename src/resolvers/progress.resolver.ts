import { Arg, Authorized, ID, Resolver, Root, Subscription } from 'type-graphql';
import { isUuid, notFound } from '../errors';
import { RunProgress } from '../schema/types';
import { topics } from '../runs';
import type { Context } from './context';

/** Wraps an async iterator, passing only the values `keep` accepts; closing the wrapper closes the source. */
function filtered<T>(source: AsyncIterableIterator<T>, keep: (v: T) => boolean): AsyncIterableIterator<T> {
  const it: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (e) => source.throw?.(e) ?? Promise.reject(e),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

@Resolver()
export class ProgressResolver {
  @Authorized()
  @Subscription(() => RunProgress, {
    description: 'one event per finished epoch, plus one per status change',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const runId = args.runId as string;
      if (!isUuid(runId) || !(await ctx.services.runs.get(runId))) throw notFound('run', runId);
      return ctx.pubsub.subscribe<RunProgress>(topics.run(runId));
    },
  })
  runProgress(@Root() event: RunProgress, @Arg('runId', () => ID) _runId: string): RunProgress {
    return event;
  }

  @Authorized()
  @Subscription(() => RunProgress, {
    description: "every run's events, optionally only one sweep's or one cohort's",
    subscribe: ({ args, context }) => {
      const { sweepId, cohortId } = args as { sweepId?: string | null; cohortId?: string | null };
      return filtered(
        (context as Context).pubsub.subscribe<RunProgress>(topics.allRuns),
        (e) => (!sweepId || e.sweepId === sweepId) && (!cohortId || e.cohortId === cohortId),
      );
    },
  })
  runEvents(
    @Root() event: RunProgress,
    @Arg('sweepId', () => ID, { nullable: true }) _sweepId?: string,
    @Arg('cohortId', () => ID, { nullable: true }) _cohortId?: string,
  ): RunProgress {
    return event;
  }
}
