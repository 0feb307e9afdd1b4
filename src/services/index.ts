import type { DataSource } from 'typeorm';
import type { PubSub } from '../server/pubsub';
import { CohortService } from './cohort.service';
import { EvaluationService } from './evaluation.service';
import { MetricsService } from './metrics.service';
import { RunService } from './run.service';
import { SweepService } from './sweep.service';
import { TokenService } from './token.service';

/** Every service, sharing one DataSource and one PubSub. Services own transactions; resolvers call them. */
export interface Services {
  cohorts: CohortService;
  runs: RunService;
  sweeps: SweepService;
  metrics: MetricsService;
  evaluations: EvaluationService;
  tokens: TokenService;
}

export function createServices(ds: DataSource, pubsub: PubSub): Services {
  const runs = new RunService(ds, pubsub);
  return {
    cohorts: new CohortService(ds),
    runs,
    sweeps: new SweepService(ds, pubsub, runs),
    metrics: new MetricsService(ds),
    evaluations: new EvaluationService(ds),
    tokens: new TokenService(ds),
  };
}

export { CohortService, EvaluationService, MetricsService, RunService, SweepService, TokenService };
