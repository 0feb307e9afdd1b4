/**
 * Why every write a runner makes about its run is fenced: a run is held through a lease (./queue.ts), and the runner
 * may lose it at any moment without knowing: a user cancels the run, or the runner stalls (a long GC pause, the
 * database away) past the lease and another process claims the run and resumes it. Checking first and writing after
 * would leave a window for both to write; so the check is the UPDATE's own WHERE (`leaseOwner = me AND status =
 * 'RUNNING'`), atomic with the write, and a runner that lost its run changes nothing and is told so (no row back).
 * (./epoch-writer.ts applies the same condition per run of its batched statement.)
 */
import type { DataSource, EntityManager } from 'typeorm';
import { Run } from '../schema/run.entity';

export type Db = DataSource | EntityManager;

/** The fence: run $1 is RUNNING and leased to owner $2. */
export const FENCE = `id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'`;

/**
 * Rows of an UPDATE … RETURNING, as Run entities (the column names are the entity's property names). Wrapped in a CTE
 * (`WITH x AS (UPDATE …) SELECT …`) so TypeORM hands back rows on both engines (a bare UPDATE comes back as [rows, count]).
 */
export async function updated(db: Db, sql: string, params: unknown[], returning = '*'): Promise<Run[]> {
  const rows: Record<string, unknown>[] = await db.query(`WITH x AS (${sql} RETURNING ${returning}) SELECT * FROM x`, params);
  return rows.map((r) => Object.assign(new Run(), r));
}

/** `UPDATE run SET <set>` on run $1 if owner $2 still holds it: the row as updated, or null when it does not. */
export async function fenced(db: Db, set: string, params: unknown[]): Promise<Run | null> {
  const [run] = await updated(db, `UPDATE run SET ${set} WHERE ${FENCE}`, params);
  return run ?? null;
}
