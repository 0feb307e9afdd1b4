/** What a plain HTTP route gets (./routes.ts lists them): a type of its own, so the routes and the list need not import each other. */
import type express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { NephronDataSource } from '../db/data-source';
import type { PubSub } from '../runs';
import type { Services } from '../services';
import type { Caller } from './auth';

export interface RouteDeps {
  config: Config;
  dataSource: NephronDataSource;
  services: Services;
  pubsub: PubSub;
  log: Logger;
  /** Resolves the caller like the GraphQL endpoint does; throws an AppError (UNAUTHENTICATED) otherwise. */
  authenticate(req: express.Request): Promise<Caller>;
  /** Charges one mutation to the caller's rate limit (./rate-limit.ts), as a GraphQL mutation would; throws RATE_LIMITED. */
  takeMutation(caller: Caller, req: express.Request): void;
}

export type RouteInstaller = (app: express.Express, deps: RouteDeps) => void;
