/**
 * A query whose SQL text never changes (parameters carry everything, arrays included) runs on PostgreSQL as a named
 * prepared statement: each pool connection parses and plans it once, not at every call. The name is derived from the
 * text, so two texts never share one. PGlite (one in-process session, no network) takes the plain path.
 * They bypass TypeORM's query runner, so they are reported to its logger here (the statement counter of the tests
 * that bound statements per request counts them as before).
 */
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

type NamedQuery = { name: string; text: string; values: unknown[] };
type Pool = { query(q: NamedQuery): Promise<{ rows: Record<string, unknown>[] }> };

export async function preparedQuery<T = Record<string, unknown>>(ds: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (ds.driver as unknown as { master?: Partial<Pool> }).master;
  // PGlite comes in as a custom `driver` module (src/db/pglite-driver.ts)
  if ((ds.options as { driver?: unknown }).driver || typeof pool?.query !== 'function') return ds.query(text, values);
  ds.logger.logQuery(text, values);
  const name = `nephron_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  const result = await (pool as Pool).query({ name, text, values });
  return result.rows as T[];
}
