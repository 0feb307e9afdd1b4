/**
 * Database engines for tests. Every database test runs on both: describe.each(DB_KINDS) and skip PostgreSQL with
 * `describe.skipIf(!engineAvailable(kind))`. PostgreSQL comes from TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), used only as the admin connection that creates a fresh database
 * per test server and drops it afterwards. Unreachable: skipped with a visible message, but under CI=true the
 * probe throws, so the run fails.
 */
import pg from 'pg';
import { buildDataSource, type NephronDataSource } from '../../src/db/data-source';
import { freshPostgresDatabase, POSTGRES_ADMIN_URL } from './postgres';

export { freshPostgresDatabase, POSTGRES_ADMIN_URL };

export const DB_KINDS = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DB_KINDS)[number];

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (e) {
    const message = `PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable (${(e as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${message}: CI=true requires it`);
    console.warn(`\n⚠ ${message}: the PostgreSQL half of the database tests is SKIPPED\n`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const POSTGRES_AVAILABLE: boolean = await probe();

export function engineAvailable(kind: DbKind): boolean {
  return kind === 'pglite' || POSTGRES_AVAILABLE;
}

/** The env (DATABASE_URL) of a fresh database of this engine, and its cleanup. */
export async function freshDatabaseEnv(kind: DbKind): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (kind === 'pglite') return { env: { DATABASE_URL: 'memory' }, cleanup: async () => {} };
  const db = await freshPostgresDatabase();
  return { env: { DATABASE_URL: db.url }, cleanup: db.drop };
}

/** An initialized, migrated DataSource on a fresh database; `close()` destroys it and drops the database. */
export async function testDataSource(kind: DbKind): Promise<{ ds: NephronDataSource; close: () => Promise<void> }> {
  const { env, cleanup } = await freshDatabaseEnv(kind);
  const ds = buildDataSource(env);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return {
    ds,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await cleanup();
    },
  };
}
