/**
 * The one DataSource, from the environment:
 *   DATABASE_URL=postgres://...  → PostgreSQL through `pg`
 *   DATABASE_URL=memory          → in-memory PGlite (tests)
 *   unset                        → PGlite on disk under NEPHRON_DATA_DIR (default ./data)/pglite, guarded by
 *                                  NEPHRON_DATA_DIR/nephron.lock so a second process gets a clear error.
 * The same migrations (listed explicitly, no globs) run on both engines. Nothing is opened until `initialize()`.
 */
import path from 'node:path';
import { DataSource } from 'typeorm';
import { InitialSchema1764000000000 } from '../../migrations/1764000000000-InitialSchema';
import { CohortData1765000000000 } from '../../migrations/1765000000000-CohortData';
import { RunnerState1766000000000 } from '../../migrations/1766000000000-RunnerState';
import { CheckpointHistory1767000000000 } from '../../migrations/1767000000000-CheckpointHistory';
import { RunnerStalls1768000000000 } from '../../migrations/1768000000000-RunnerStalls';
import { MetricPointCovering1769000000000 } from '../../migrations/1769000000000-MetricPointCovering';
import { Segmentations1770170000000 } from '../../migrations/1770170000000-Segmentations';
import { TrainingSizeDice1770200000013 } from '../../migrations/1770200000013-TrainingSizeDice';
import { ENTITIES } from '../schema';
import { createPGliteDriver, type PGliteDriverModule } from './pglite-driver';
import { QueryCounter } from './query-counter';

export const MIGRATIONS = [
  InitialSchema1764000000000,
  CohortData1765000000000,
  RunnerState1766000000000,
  CheckpointHistory1767000000000,
  RunnerStalls1768000000000,
  MetricPointCovering1769000000000,
  Segmentations1770170000000,
  TrainingSizeDice1770200000013,
];

export type DatabaseTarget =
  { engine: 'postgres'; url: string } | { engine: 'pglite'; dataDir: string; lockFile: string } | { engine: 'pglite'; dataDir: null };

/** Where the database lives, from DATABASE_URL and NEPHRON_DATA_DIR. */
export function databaseTarget(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (url === 'memory') return { engine: 'pglite', dataDir: null };
  if (url) return { engine: 'postgres', url };
  const root = path.resolve(env.NEPHRON_DATA_DIR?.trim() || './data');
  return { engine: 'pglite', dataDir: path.join(root, 'pglite'), lockFile: path.join(root, 'nephron.lock') };
}

export interface NephronDataSource extends DataSource {
  /** Counts statements (tests); also forwards query errors as warnings. */
  readonly queryCounter: QueryCounter;
  /** The PGlite module behind the DataSource, when on PGlite. */
  readonly pglite?: PGliteDriverModule;
  readonly target: DatabaseTarget;
}

export function buildDataSource(
  env: NodeJS.ProcessEnv = process.env,
  options: { onWarn?: (message: string) => void; poolSize?: number } = {},
): NephronDataSource {
  const target = databaseTarget(env);
  const queryCounter = new QueryCounter(options.onWarn);
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logger: queryCounter,
    maxQueryExecutionTime: 2000,
    // gen_random_uuid() is built into PostgreSQL >= 13 and PGlite: no extension to install
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
  };
  let ds: DataSource;
  let pglite: PGliteDriverModule | undefined;
  if (target.engine === 'postgres') {
    ds = new DataSource({ ...common, url: target.url, poolSize: options.poolSize ?? 10, applicationName: 'nephron' });
  } else {
    pglite = createPGliteDriver(target.dataDir ? { dataDir: target.dataDir, lockFile: target.lockFile } : {});
    ds = new DataSource({ ...common, driver: pglite, database: 'postgres' });
  }
  return Object.assign(ds, { queryCounter, pglite, target }) as NephronDataSource;
}
