import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AnalysisResolver } from './analysis.resolver';
import { authChecker } from './auth-checker';
import { guardMutations } from './mutation-quota';
import { CohortResolver, ContrastResolver } from './cohort.resolver';
import { ProgressResolver } from './progress.resolver';
import { RunConnectionResolver, RunResolver } from './run.resolver';
import { SegmentationResolver, SeriesPredictionsResolver } from './segmentation.resolver';
import { SeriesResolver, SubjectResolver } from './subject.resolver';
import { SubjectConnectionResolver, SweepResolver } from './sweep.resolver';
import { TokenResolver } from './token.resolver';

export const RESOLVERS = [
  CohortResolver,
  ContrastResolver,
  SubjectResolver,
  SeriesResolver,
  RunResolver,
  RunConnectionResolver,
  SweepResolver,
  SubjectConnectionResolver,
  AnalysisResolver,
  ProgressResolver,
  TokenResolver,
  SegmentationResolver,
  SeriesPredictionsResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process). */
export function buildNephronSchema(): Promise<GraphQLSchema> {
  built ??= buildNephronSchemaOnce();
  return built;
}

async function buildNephronSchemaOnce(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    validate: false,
    // every @Subscription here has its own `subscribe` over the context's PubSub (src/runs/pubsub.ts);
    // type-graphql insists on a pubSub option all the same
    pubSub: {
      publish: () => {
        throw new Error('publish through the PubSub of src/runs/pubsub.ts');
      },
      subscribe: () => {
        throw new Error('subscribe through the PubSub of src/runs/pubsub.ts');
      },
    },
  });
  return guardMutations(schema);
}

/** The SDL committed as schema.graphql. */
export async function schemaSdl(): Promise<string> {
  return `${printSchema(await buildNephronSchema())}\n`;
}
