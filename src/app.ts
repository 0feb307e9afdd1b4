/**
 * The composition root: one nephron process's database, events, services and runners, opened in that order and
 * closed in the reverse. `nephron serve` builds HTTP and Apollo on it (src/server/server.ts), `nephron worker` runs
 * it alone, and the benches and the test helpers open it the same way.
 */
import type { Logger } from 'pino';
import { databaseEnv, type Config } from './config';
import { buildDataSource, type NephronDataSource } from './db/data-source';
import { migrate } from './db/migrate';
import { startRunners, type RunnerHost } from './runners';
import type { RunnerHostOptions } from './runners/host';
import { createPubSub, ObservedPubSub, type PubSub } from './runs';
import { createLogger } from './logger';
import { createServices, type Services } from './services';

export interface NephronOptions {
  /** An existing DataSource (initialized or not); by default one is built from the config. Closed with the rest. */
  dataSource?: NephronDataSource;
  /** By default LISTEN/NOTIFY on PostgreSQL, in-process on PGlite (src/runs/pubsub-pg.ts). Closed with the rest. */
  pubsub?: PubSub;
  log?: Logger;
  /** Runner host knobs for tests and benches (job module, poll interval, …); NEPHRON_RUNNERS decides whether runners start. */
  runners?: Partial<RunnerHostOptions>;
}

export interface Nephron {
  config: Config;
  log: Logger;
  dataSource: NephronDataSource;
  /** Every publish of this process passes here first: `onPublish` lets a cache drop what an event may change. */
  pubsub: ObservedPubSub;
  services: Services;
  /** The runners of this process (null with NEPHRON_RUNNERS=0). */
  runners: RunnerHost | null;
  /** Runners stop (their runs go back to the queue), then the services, the PubSub and the database close. Idempotent. */
  close(): Promise<void>;
}

/** Opens the database (migrated), the PubSub, the services and the runners; rejects with everything closed again. */
export async function openNephron(config: Config, options: NephronOptions = {}): Promise<Nephron> {
  const log = options.log ?? createLogger(config.logLevel);
  const dataSource = options.dataSource ?? buildDataSource(databaseEnv(config), { onWarn: (m) => log.warn(m) });
  const opened: (() => Promise<unknown>)[] = [];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    if (!dataSource.isInitialized) await dataSource.initialize();
    opened.push(async () => dataSource.isInitialized && dataSource.destroy());
    const applied = await migrate(dataSource);
    if (applied.length) log.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
    const pubsub = new ObservedPubSub(options.pubsub ?? (await createPubSub(dataSource.target, log)));
    opened.push(() => pubsub.close());
    const services = createServices(dataSource, pubsub, config);
    opened.push(() => services.close()); // worker pool and background work, before the database goes
    const runners = await startRunners({ config, dataSource, services, pubsub, log, overrides: options.runners });
    if (runners) opened.push(() => runners.stop());
    let closing: Promise<void> | undefined;
    return { config, log, dataSource, pubsub, services, runners, close: () => (closing ??= closeOpened()) };
  } catch (e) {
    await closeOpened().catch(() => {});
    throw e;
  }
}
