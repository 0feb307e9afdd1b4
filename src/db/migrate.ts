/**
 * Runs the pending migrations, one process at a time. On PostgreSQL several nephron processes (`serve`, `worker`s,
 * `token create`) may start together on a fresh database, and TypeORM's migrations take no lock of their own: two
 * processes ran the same CREATE TABLE and one died on a duplicate key (seen starting `serve` and `worker` at once).
 * A session advisory lock, held on its own connection while the migrations run on others, serialises them; the
 * later process finds nothing left to do. PGlite is one process by construction (its lock file).
 */
import type { Migration } from 'typeorm';
import type { NephronDataSource } from './data-source';

/** pg_advisory_lock key of nephron's migrations ("nephmigr" as 8 bytes, so no other application's key collides by chance). */
export const MIGRATION_LOCK = '7954887910634383218';

export async function migrate(ds: NephronDataSource): Promise<Migration[]> {
  if (ds.target.engine !== 'postgres') return ds.runMigrations({ transaction: 'each' });
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    try {
      return await ds.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
  }
}
